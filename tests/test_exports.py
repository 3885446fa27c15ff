"""CSV exports: the progress table counts the sessions signed off, overall and per body region, as numbers."""

import csv
import datetime as dt
import io

from quizapp.models import BODY_REGIONS, utcnow
from quizapp.services.certification import evaluation, programmes, supervised_sessions

from . import factories
from .conftest import Browser

REGION_COLUMNS = [f"sessions_signed_off_{region}" for region in BODY_REGIONS]


def test_progress_csv_counts_signed_off_sessions_overall_and_per_region(app):
    """Only signed-off logs count (not pending or returned ones, nor another clinic's); every region has a column."""
    with app.app_context():
        will = factories.user("will@x.test", name="Will Working")
        factories.user("tess@x.test", name="Tess Trainee")
        sup = factories.user("sup@x.test", role="supervisor")
        eve = factories.user("eve@x.test", clinic_name="South Clinic")
        far = factories.user("far@x.test", role="supervisor", clinic_name="South Clinic")
        admin = factories.user("admin@x.test", role="admin", clinic_name=None)
        programmes.update_programme(
            evaluation.programme_for(will.clinic_id),
            admin,
            require_all_banks=False,
            bank_marks={},
            validity_months=24,
            sessions_required=3,
            region_minimums={"cervicothoracic": 2},
            critical_subtopic_ids=set(),
            critical_min=None,
        )
        day = utcnow().date() - dt.timedelta(days=1)

        def logged(trainee, region, reviewer=None, sign_off=True):
            s = supervised_sessions.log_session(trainee, day, region, "Upper trapezius", "")
            if reviewer:
                supervised_sessions.review(s, reviewer, sign_off, "" if sign_off else "Say which side")

        for region in ("lumbopelvic", "lumbopelvic", "cervicothoracic"):
            logged(will, region, sup)
        logged(will, "cervicothoracic")  # pending
        logged(will, "head-neck", sup, sign_off=False)  # returned
        logged(eve, "head-neck", far)

    b = Browser(app.test_client())
    b.login("sup@x.test")
    response = b.get("/supervisor/export/progress.csv")
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert reader.fieldnames[-6:] == ["sessions_signed_off", *REGION_COLUMNS]
    assert "sessions_met" in reader.fieldnames and "cervicothoracic_met" in reader.fieldnames
    rows = {r["name"]: r for r in reader}
    assert sorted(rows) == ["Tess Trainee", "Will Working"]
    will_row = rows["Will Working"]
    assert int(will_row["sessions_signed_off"]) == 3 and will_row["sessions_met"] == "yes"
    assert {c: int(will_row[c]) for c in REGION_COLUMNS} == {
        "sessions_signed_off_head-neck": 0,
        "sessions_signed_off_cervicothoracic": 1,
        "sessions_signed_off_shoulder-upper-limb": 0,
        "sessions_signed_off_lumbopelvic": 2,
        "sessions_signed_off_hip-lower-limb": 0,
    }
    assert will_row["cervicothoracic_met"] == "no"
    assert [rows["Tess Trainee"][c] for c in ["sessions_signed_off", *REGION_COLUMNS]] == ["0"] * 6

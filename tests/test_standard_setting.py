"""Modified Angoff: ratings, the panel's aggregate and recommendation, adoption by an admin (audited)."""

import statistics

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import AuditEvent, PassMarkAdoption, ProgrammeBank
from quizapp.services.analytics import standard_setting
from quizapp.services.certification import evaluation

from . import factories
from .conftest import Browser

# Ratings (percent) by question, in the tiny bank's order:
# t-single, t-multi, t-tf, t-case-1, t-case-2, t-extra
SAM = [90, 60, 80, 70, 60, 40]
ADA = [80, 70, 90, 60, 50, 50]
EVE = [10, 10, 10, 10, 10, 10]  # a supervisor of another clinic: not on North's panel


@pytest.fixture
def panel(ctx, tmp_path):
    bank = factories.tiny_bank(tmp_path)
    sam = factories.user("sam@x.test", role="supervisor", name="Sam Supervisor")
    ada = factories.user("ada@x.test", role="admin", clinic_name=None, name="Ada Admin")
    eve = factories.user("eve@x.test", role="supervisor", clinic_name="South Clinic", name="Eve Elsewhere")
    factories.quiz_only_programme(sam.clinic_id, ada)
    items = standard_setting.live_items(bank)
    return bank, sam, ada, eve, items


def rate_all(rater, bank, items, values):
    return standard_setting.rate(rater, bank, {i.revision_id: v for i, v in zip(items, values, strict=True)})


def test_aggregate_by_hand(panel):
    """Item means (85, 65, 85, 65, 55, 45) average to 66.67; raters' cuts 66.67 and 66.67 (SD 0);
    the other clinic's supervisor is not on the panel; disagreements rank by SD of ratings."""
    bank, sam, ada, eve, items = panel
    assert rate_all(sam, bank, items, SAM) == 6
    rate_all(ada, bank, items, ADA)
    rate_all(eve, bank, items, EVE)
    result = standard_setting.aggregate(bank, sam.clinic_id)
    assert [i.mean for i in result.items] == [85, 65, 85, 65, 55, 45]
    assert result.cut_score == pytest.approx(200 / 3)
    assert [r.name for r in result.raters] == ["Sam Supervisor", "Ada Admin"]
    assert [r.cut for r in result.raters] == pytest.approx([400 / 6, 400 / 6])
    assert result.rater_sd == pytest.approx(0) and result.cut_se == pytest.approx(0)
    assert result.recommended == 67  # 66.67 rounded
    assert {i.sd for i in result.disagreements} == {statistics.stdev([90, 80])}
    south = standard_setting.aggregate(bank, eve.clinic_id)
    assert south.cut_score == pytest.approx((10 * 6 + sum(ADA)) / 12)  # Eve and the admin


def test_spread_between_raters_and_partial_ratings(panel):
    """Raters' own cuts give the spread; with a question rated once there is no recommendation."""
    bank, sam, ada, eve, items = panel
    rate_all(sam, bank, items, [90, 90, 90, 90, 90, 90])
    standard_setting.rate(ada, bank, {i.revision_id: 60 for i in items[:5]})
    result = standard_setting.aggregate(bank, sam.clinic_id)
    assert [r.cut for r in result.raters] == [90, 60]
    assert result.rater_sd == pytest.approx(statistics.stdev([90, 60]))
    assert result.cut_se == pytest.approx(statistics.stdev([90, 60]) / 2**0.5)
    assert result.fully_rated == 5 and result.recommended is None
    standard_setting.rate(ada, bank, {items[5].revision_id: 60})
    assert standard_setting.aggregate(bank, sam.clinic_id).recommended == 75


def test_ratings_are_validated(panel):
    """Only the bank's current questions, 0 to 100; a blank leaves the rating as it was."""
    bank, sam, ada, eve, items = panel
    with pytest.raises(standard_setting.StandardSettingError):
        standard_setting.rate(sam, bank, {999999: 50})
    with pytest.raises(standard_setting.StandardSettingError):
        standard_setting.rate(sam, bank, {items[0].revision_id: 101})
    standard_setting.rate(sam, bank, {items[0].revision_id: 70})
    standard_setting.rate(sam, bank, {items[0].revision_id: None, items[1].revision_id: 40})
    assert standard_setting.my_ratings(sam, bank) == {items[0].revision_id: 70, items[1].revision_id: 40}


def test_adoption_changes_the_programme_keeps_the_ratings_and_is_audited(panel):
    """The clinic's mark for the bank becomes the recommendation; the ratings are copied; one audit event."""
    bank, sam, ada, eve, items = panel
    rate_all(sam, bank, items, SAM)
    rate_all(ada, bank, items, ADA)
    with pytest.raises(standard_setting.StandardSettingError):
        standard_setting.adopt(bank, sam.clinic, sam, 67)  # a supervisor cannot
    with pytest.raises(standard_setting.StandardSettingError):
        standard_setting.adopt(bank, sam.clinic, ada, 70)  # not what the panel recommends now
    adoption = standard_setting.adopt(bank, sam.clinic, ada, 67)
    mark = db.session.scalar(
        select(ProgrammeBank.min_score).where(
            ProgrammeBank.programme_id == evaluation.programme_for(sam.clinic_id).id, ProgrammeBank.bank_id == bank.id
        )
    )
    assert mark == 67
    assert adoption.previous_mark is None and adoption.raters == 2 and adoption.items == 6
    assert len(adoption.ratings) == 12 and {r["rater"] for r in adoption.ratings} == {"Sam Supervisor", "Ada Admin"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "pass_mark.adopted"))
    assert event.actor_id == ada.id and event.clinic_id == sam.clinic_id
    assert event.details["before"] == 60 and event.details["after"] == 67 and event.details["bank"] == "tiny"
    assert event.details["adoption_id"] == adoption.id
    rate_all(sam, bank, items, [10] * 6)  # later re-rating leaves the adoption's copy alone
    kept = db.session.get(PassMarkAdoption, adoption.id)
    assert sorted(r["probability"] for r in kept.ratings if r["rater"] == "Sam Supervisor") == sorted(SAM)


def test_rating_and_adopting_through_the_pages(app, tmp_path):
    """A supervisor rates in the browser form; the admin sees the recommendation and adopts it."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        sam = factories.user("sam@x.test", role="supervisor", name="Sam Supervisor")
        ada = factories.user("ada@x.test", role="admin", clinic_name=None, name="Ada Admin")
        factories.quiz_only_programme(sam.clinic_id, ada)
        items = standard_setting.live_items(bank)
        rate_all(ada, bank, items, ADA)
        clinic_id = sam.clinic_id
        fields = {f"r_{i.revision_id}": str(v) for i, v in zip(items, SAM, strict=True)}
    sup = Browser(app.test_client())
    sup.login("sam@x.test")
    saved = sup.post_form("/supervisor/standards/tiny/rate", fields, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "6 ratings saved." in page and "Recommended pass mark: <strong>67%</strong>" in page
    assert "Adopt this pass mark" not in page  # supervisors recommend; admins adopt
    bad = sup.post_form("/supervisor/standards/tiny/rate", {**fields, f"r_{items[0].revision_id}": "150"})
    assert bad.status_code == 200 and "Number must be between 0 and 100" in bad.get_data(as_text=True)
    admin = Browser(app.test_client())
    admin.login("ada@x.test")
    url = f"/supervisor/standards?clinic={clinic_id}&bank=tiny"
    assert "Adopt this pass mark for the clinic" in admin.get(url).get_data(as_text=True)
    done = admin.post_form(
        url, {"pass_mark": "67"}, action=f"/admin/clinics/{clinic_id}/banks/tiny/pass-mark", follow_redirects=True
    )
    assert "Pass mark 67% adopted" in done.get_data(as_text=True)
    assert "67% (60% before)" in done.get_data(as_text=True)

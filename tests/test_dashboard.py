"""Supervisor dashboards: progress cells and counts, filters, item statistics, CSV, scoping, query counts."""

import csv
import datetime as dt
import hashlib
import io
import pickle

import pytest
from itsdangerous import Signer
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Attempt, Bank, User, utcnow
from quizapp.services.certification import evaluation, programmes

from . import factories
from .conftest import Browser, recorded_statements
from .test_certification import pass_bank

ALL_SIX = (
    (factories.DATA / "tiny_bank.yaml").read_text().replace("questions_per_attempt: 5", "questions_per_attempt: 6")
)


def no_sessions_rule(clinic_name="North Clinic"):
    clinic = factories.clinic(clinic_name)
    admin = db.session.scalar(select(User).where(User.role == "admin")) or factories.user(
        "admin@x.test", role="admin", clinic_name=None
    )
    factories.quiz_only_programme(clinic.id, admin)


@pytest.fixture
def clinic(app, tmp_path):
    """Ann certified, Ben failed once, Cy never started, plus a supervisor; another clinic next door."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path, ALL_SIX)
        no_sessions_rule()
        ann = factories.user("ann@x.test", name="Ann Able")
        ben = factories.user("ben@x.test", name="Ben Busy")
        factories.user("cy@x.test", name="Cy Later")
        factories.user("sup@x.test", role="supervisor")
        factories.user("far@x.test", role="supervisor", clinic_name="South Clinic")
        stranger = factories.user("zed@x.test", name="Zed Elsewhere", clinic_name="South Clinic")
        pass_bank(ann, bank, utcnow() - dt.timedelta(days=2))
        pass_bank(ben, bank, utcnow() - dt.timedelta(days=1), right=False)
        pass_bank(stranger, bank, utcnow(), right=False)
        ids = {u.email: u.id for u in db.session.scalars(select(User))}
        attempt_ids = {a.user_id: a.id for a in db.session.scalars(select(Attempt))}
    return ids, attempt_ids


def supervisor(app, email="sup@x.test"):
    b = Browser(app.test_client())
    b.login(email)
    return b


def test_dashboard_cells_and_summary(app, clinic):
    """Each row shows the best score and pass state per bank; counts on top match."""
    html = supervisor(app).get("/supervisor/").get_data(as_text=True)
    assert "Ann Able" in html and "Ben Busy" in html and "Cy Later" in html and "Zed" not in html
    ann_row = html[html.index("Ann Able") : html.index("</tr>", html.index("Ann Able"))]
    assert "100%" in ann_row and "passed" in ann_row and "Certified" in ann_row
    ben_row = html[html.index("Ben Busy") : html.index("</tr>", html.index("Ben Busy"))]
    assert "0%" in ben_row and "In progress" in ben_row
    cy_row = html[html.index("Cy Later") : html.index("</tr>", html.index("Cy Later"))]
    assert "—" in cy_row and "Not started" in cy_row
    summary = html[html.index('aria-label="Summary"') : html.index("</ul>", html.index('aria-label="Summary"'))]
    counts = dict(
        (label.strip(), int(n))
        for n, label in __import__("re").findall(r'<span class="count">(\d+)</span>\s*([A-Za-z ]+)</a>', summary)
    )
    assert (
        counts["Certified"] == 1
        and counts["In progress"] == 1
        and counts["Not started"] == 1
        and counts["Expired"] == 0
    )


def test_filters_search_sort_and_pages(app, clinic):
    """Status filter, name search, inactivity filter, sorting by a bank's best score, pagination."""
    b = supervisor(app)
    only = b.get("/supervisor/?status=in+progress").get_data(as_text=True)
    assert "Ben Busy" in only and "Ann Able" not in only
    found = b.get("/supervisor/?q=cy").get_data(as_text=True)
    assert "Cy Later" in found and "Ben Busy" not in found
    inactive = b.get("/supervisor/?inactive=y").get_data(as_text=True)
    assert "Cy Later" in inactive and "Ann Able" not in inactive
    by_score = b.get("/supervisor/?sort=bank:tiny&desc=y").get_data(as_text=True)
    assert by_score.index("Ann Able") < by_score.index("Ben Busy") < by_score.index("Cy Later")
    for bad in ("?page=0", "?status=bogus"):  # a stale bookmark gets the page, with a note of what was ignored
        response = b.get("/supervisor/" + bad)
        assert response.status_code == 200 and "Ignored a filter" in response.get_data(as_text=True)
        assert "Ann Able" in response.get_data(as_text=True)
    with app.app_context():
        for i in range(30):
            factories.user(f"extra{i:02}@x.test", name=f"Extra {i:02}")
    page2 = b.get("/supervisor/?page=2").get_data(as_text=True)
    assert "page 2 of 2" in page2 and "Extra 29" not in b.get("/supervisor/").get_data(as_text=True)


def test_item_statistics_match_hand_computation(app, clinic):
    """Two right and one wrong on every item: facility 2/3, discrimination 1, alpha 1, distractors 1/3."""
    with app.app_context():
        bank = db.session.scalar(select(Bank))
        cy = db.session.scalar(select(User).where(User.email == "cy@x.test"))
        pass_bank(cy, bank, utcnow())
    html = supervisor(app).get("/supervisor/items?bank=tiny").get_data(as_text=True)
    # Attempts in the clinic: Ann 100%, Ben 0%, Cy 100%. Mean 66.7, median 100,
    # SD = sqrt(((100-66.7)^2 * 2 + (0-66.7)^2) / 2) = 57.7. Every item: x = rest = (1, 0, 1) -> r = 1.
    assert "3 attempts" in html and "mean 66.7%" in html and "median 100.0%" in html and "SD 57.7" in html
    assert "reliability (Cronbach's alpha / KR-20) 1.00" in html
    row = html[html.index("<code>t-single</code>") : html.index("</tr>", html.index("<code>t-single</code>"))]
    assert "<td>3 / 3</td>" in row and "<td>0.67 " in row and "<td>1.00 " in row
    assert "33% · Hollow-bore" in row, "Ben chose the first wrong option: 1 of 3"
    assert "not enough responses yet (n = 3)" in row


def test_csv_exports_escape_formulas(app, clinic):
    """Names that look like formulas are exported as text; every row is there."""
    with app.app_context():
        for i, name in enumerate(['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", 'Plain, "quoted"']):
            factories.user(f"f{i}@x.test", name=name)
    b = supervisor(app)
    response = b.get("/supervisor/export/progress.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    names = {r["name"] for r in rows}
    assert {'\'=HYPERLINK("http://x")', "'+SUM(A1)", "'-2+3", "'@cmd", 'Plain, "quoted"'} <= names
    assert len(rows) == 8
    ann = next(r for r in rows if r["name"] == "Ann Able")
    assert ann["status"] == "certified" and ann["tiny_met"] == "yes" and ann["tiny_best"] == "100.0"

    attempts_csv = list(csv.DictReader(io.StringIO(b.get("/supervisor/export/attempts.csv").get_data(as_text=True))))
    assert sorted(r["email"] for r in attempts_csv) == ["ann@x.test", "ben@x.test"]
    responses_csv = list(csv.DictReader(io.StringIO(b.get("/supervisor/export/responses.csv").get_data(as_text=True))))
    assert len(responses_csv) == 12
    single = next(r for r in responses_csv if r["email"] == "ann@x.test" and r["question_id"] == "t-multi")
    assert single["selected"] == "a,b" and single["correct"] == "a,b" and float(single["score"]) == 1.0


@pytest.mark.parametrize(
    "url",
    [
        "/supervisor/?clinic={south}",
        "/supervisor/sessions?clinic={south}",
        "/supervisor/items?clinic={south}",
        "/supervisor/export/progress.csv?clinic={south}",
        "/supervisor/export/attempts.csv?clinic={south}",
        "/supervisor/export/responses.csv?clinic={south}",
        "/supervisor/trainees/{zed}",
        "/supervisor/attempts/{zed_attempt}/review",
    ],
)
def test_other_clinics_data_is_404(app, clinic, url):
    """A supervisor asking for another clinic's page or export gets 404; an admin gets 200."""
    ids, attempt_ids = clinic
    with app.app_context():
        south = db.session.scalar(select(User.clinic_id).where(User.email == "zed@x.test"))
    target = url.format(south=south, zed=ids["zed@x.test"], zed_attempt=attempt_ids[ids["zed@x.test"]])
    assert supervisor(app).get(target).status_code == 404
    assert supervisor(app, "far@x.test").get(target).status_code == 200
    with app.app_context():
        factories.user("root@x.test", role="admin", clinic_name=None)
    assert supervisor(app, "root@x.test").get(target).status_code == 200


def test_trainee_drill_down(app, clinic):
    """The drill-down shows the score chart, sub-topic strengths and links each attempt's review."""
    ids, attempt_ids = clinic
    b = supervisor(app)
    html = b.get(f"/supervisor/trainees/{ids['ben@x.test']}").get_data(as_text=True)
    assert "<svg" in html and "Tiny test bank: 0%" in html
    assert "Thorax" in html and "General" in html
    review_url = f"/supervisor/attempts/{attempt_ids[ids['ben@x.test']]}/review"
    assert review_url in html
    review = b.get(review_url).get_data(as_text=True)
    assert "Not passed: 0.0%" in review and "Why:" in review


def count_statements(app, url, browser):
    with recorded_statements(app) as seen:
        assert browser.get(url).status_code == 200
    return len(seen)


def test_dashboard_sees_a_late_time_up_submit_and_a_rule_written_without_an_audit_event(app, clinic):
    """Two writes the cache's fingerprint must see though they change neither the number of
    attempts nor the latest submit time, nor leave an audit event: an attempt whose time ran out
    before another trainee's submit, closed afterwards and dated at its expiry; and a region
    minimum added straight to the programme (the rules are cached with the statuses)."""
    from quizapp.models import Programme, RegionMinimum
    from quizapp.services.quiz import attempts

    ids, _ = clinic
    b = supervisor(app)

    def row(name):
        html = b.get("/supervisor/").get_data(as_text=True)
        return html[html.index(name) : html.index("</tr>", html.index(name))]

    with app.app_context():
        clinic_id = db.session.get(User, ids["cy@x.test"]).clinic_id
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        factories.quiz_only_programme(clinic_id, admin, sessions_required=1)  # a pass alone certifies nobody
        bank = db.session.scalar(select(Bank))
        started = utcnow() - dt.timedelta(hours=1)
        attempt = attempts.start_or_resume(db.session.get(User, ids["cy@x.test"]), bank, now=started, seed=1)
        for aq in attempt.questions:
            correct = {c.id for c in aq.revision.choices if c.is_correct}
            attempts.save_answer(attempt.id, aq.position, correct, now=started)
        pass_bank(db.session.get(User, ids["ben@x.test"]), bank, utcnow(), right=False)  # the clinic's latest submit
    assert "passed" not in row("Cy Later")
    with app.app_context():
        attempts.close_expired(db.session.get(User, ids["cy@x.test"]))  # dated at its expiry, before Ben's
    assert 'aria-label="passed"' in row("Cy Later")

    assert "Sessions: cervicothoracic" not in b.get("/supervisor/").get_data(as_text=True)
    with app.app_context():
        programme_id = db.session.scalar(select(Programme.id).where(Programme.clinic_id == clinic_id))
        db.session.add(RegionMinimum(programme_id=programme_id, region="cervicothoracic", minimum=1))
        db.session.commit()
    assert "Sessions: cervicothoracic" in b.get("/supervisor/").get_data(as_text=True)
    assert row("Ann Able").count("0 of 1 signed off") == 2, "the sessions total and the new region minimum"


def test_a_login_leaves_the_status_cache_alone_and_an_audited_admin_change_does_not(app, clinic):
    """Logins are most of the audit trail and change no status: a trainee logging in does not
    make the next dashboard view evaluate the clinic afresh (it did, in every worker). An
    audited admin action, here a registration number, still does."""
    from quizapp.services.people import administration

    ids, _ = clinic
    b = supervisor(app)
    cold = count_statements(app, "/supervisor/", b)
    warm = count_statements(app, "/supervisor/", b)
    assert warm < cold, "the second view reads the statuses from the cache"
    Browser(app.test_client()).login("ben@x.test")
    assert count_statements(app, "/supervisor/", b) == warm
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        ben = db.session.get(User, ids["ben@x.test"])
        administration.update_user(
            admin, ben, role=ben.role, clinic=ben.clinic, active=True, registration_number="PT-1234"
        )
    assert count_statements(app, "/supervisor/", b) == cold


def rows_of(html: str) -> str:
    return html[html.index("<tbody") : html.index("</tbody>")]


def test_a_worker_reads_the_figures_another_worker_computed(app, clinic):
    """The first view in a worker whose memory has no figures (another gunicorn worker, or this
    one after a restart) reads the ones computed elsewhere, one statement more than a warm view,
    instead of evaluating the clinic again; the page is the same. Figures not signed with this
    app's key are never unpickled: the view computes them afresh and replaces the row."""
    from quizapp.models import SharedClinicFigures
    from quizapp.services.analytics import dashboard

    b = supervisor(app)
    cold = count_statements(app, "/supervisor/", b)
    warm = count_statements(app, "/supervisor/", b)
    expected = rows_of(b.get("/supervisor/").get_data(as_text=True))
    dashboard._cache.entries.clear()  # the memory of a worker that has not shown this clinic yet
    assert count_statements(app, "/supervisor/", b) == warm + 1
    dashboard._cache.entries.clear()
    assert rows_of(b.get("/supervisor/").get_data(as_text=True)) == expected

    with app.app_context():
        row = db.session.scalar(select(SharedClinicFigures))
        forged = Signer("not-our-key", salt="shared-clinic-figures", digest_method=hashlib.sha256)
        row.payload = forged.sign(pickle.dumps({"statuses": {}}))
        db.session.commit()
    dashboard._cache.entries.clear()
    assert count_statements(app, "/supervisor/", b) == cold
    assert rows_of(b.get("/supervisor/").get_data(as_text=True)) == expected
    dashboard._cache.entries.clear()
    assert count_statements(app, "/supervisor/", b) == warm + 1, "the forged row was replaced"


def test_figures_shared_for_an_older_fingerprint_are_not_used(app, clinic):
    """A worker that misses in memory after a change finds the figures of the old fingerprint
    in the shared row, and computes afresh rather than show them."""
    from quizapp.services.analytics import dashboard

    ids, _ = clinic
    b = supervisor(app)
    assert "Not started" in row_of(b, "Cy Later")
    with app.app_context():
        pass_bank(db.session.get(User, ids["cy@x.test"]), db.session.scalar(select(Bank)), utcnow())
    dashboard._cache.entries.clear()
    assert "Certified" in row_of(b, "Cy Later")


def row_of(b, name: str) -> str:
    html = b.get("/supervisor/").get_data(as_text=True)
    return html[html.index(name) : html.index("</tr>", html.index(name))]


def test_dashboard_statement_count_does_not_grow_with_trainees(app, tmp_path):
    """5 trainees or 50, with attempts and sessions: the same number of SQL statements."""
    with app.app_context():
        bank_id = factories.tiny_bank(tmp_path).id
        supervisor_id = factories.user("sup@x.test", role="supervisor").id

    def add_trainees(start, n):
        with app.app_context():
            bank_ = db.session.get(Bank, bank_id)
            sup = db.session.get(User, supervisor_id)
            for i in range(start, start + n):
                t = factories.user(f"t{i}@x.test")
                if i % 2 == 0:
                    pass_bank(t, bank_, utcnow() - dt.timedelta(hours=i))
                if i % 3 == 0:
                    from quizapp.services.certification import supervised_sessions

                    s = supervised_sessions.log_session(t, utcnow().date(), "lumbopelvic", "Gluteus medius", "")
                    supervised_sessions.review(s, sup, True, "")

    b = supervisor(app)
    add_trainees(0, 5)
    small = count_statements(app, "/supervisor/", b)
    add_trainees(5, 45)
    large = count_statements(app, "/supervisor/", b)
    assert small == large, f"{small} statements for 5 trainees, {large} for 50"
    assert count_statements(app, "/supervisor/export/progress.csv", b) == count_statements(
        app, "/supervisor/export/progress.csv", b
    )


def test_dashboard_reflects_every_change_immediately(app, clinic):
    """The status cache never serves stale data: a pass, a sign-off, a revocation, a new rule, a new trainee."""
    ids, _ = clinic
    b = supervisor(app)

    def row(name):
        html = b.get("/supervisor/").get_data(as_text=True)
        if name not in html:
            return ""
        return html[html.index(name) : html.index("</tr>", html.index(name))]

    assert "Not started" in row("Cy Later")
    with app.app_context():
        bank = db.session.scalar(select(Bank))
        cy = db.session.get(User, ids["cy@x.test"])
        pass_bank(cy, bank, utcnow())
    assert "Certified" in row("Cy Later")

    with app.app_context():
        from quizapp.models import Certificate

        cert = db.session.scalar(select(Certificate).where(Certificate.user_id == ids["cy@x.test"]))
        evaluation.revoke(cert, db.session.get(User, ids["sup@x.test"]), "Audit finding")
    assert "Revoked" in row("Cy Later")

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        programmes.update_programme(
            evaluation.programme_for(db.session.get(User, ids["ann@x.test"]).clinic_id),
            admin,
            require_all_banks=True,
            bank_marks={},
            validity_months=24,
            sessions_required=1,
            region_minimums={},
            critical_subtopic_ids=set(),
            critical_min=None,
        )
    assert "In progress" in row("Ann Able") and "0 of 1 signed off" in row("Ann Able")

    with app.app_context():
        from quizapp.services.certification import supervised_sessions

        ann = db.session.get(User, ids["ann@x.test"])
        log = supervised_sessions.log_session(ann, utcnow().date(), "lumbopelvic", "Quadratus lumborum", "")
        supervised_sessions.review(log, db.session.get(User, ids["sup@x.test"]), True, "")
    assert "Certified" in row("Ann Able")

    with app.app_context():
        factories.user("dee@x.test", name="Dee Newcomer")
    assert "Not started" in row("Dee Newcomer")

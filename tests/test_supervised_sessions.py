"""Reviewing supervised sessions: bulk sign-off, the supervisor's waiting count, what the trainee is told."""

import datetime as dt
import email
import gc
import tracemalloc
from email import policy

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import AuditEvent, SessionState, SupervisedSession, User, utcnow
from quizapp.services.certification import supervised_sessions

from . import factories
from .conftest import Browser, csrf_token, recorded_statements
from .test_concurrency import run_together


def log(trainee: User, days_ago: int, region: str = "lumbopelvic", muscles: str = "Gluteus medius"):
    day = utcnow().date() - dt.timedelta(days=days_ago)
    return supervised_sessions.log_session(trainee, day, region, muscles, "No adverse events").id


@pytest.fixture
def clinic(app):
    """North: Will with three pending logs, Tess with two, and two supervisors; South: Eve's log and its supervisor."""
    with app.app_context():
        will = factories.user("will@x.test", name="Will Working")
        tess = factories.user("tess@x.test", name="Tess Trainee")
        factories.user("sup@x.test", role="supervisor", name="Sam Supervisor")
        factories.user("sue@x.test", role="supervisor", name="Sue Second")
        eve = factories.user("eve@x.test", clinic_name="South Clinic", name="Eve Elsewhere")
        factories.user("far@x.test", role="supervisor", clinic_name="South Clinic")
        return {
            "will": [log(will, 3), log(will, 2, "cervicothoracic", "Upper trapezius"), log(will, 1)],
            "tess": [log(tess, 2), log(tess, 1, "hip-lower-limb", "Vastus lateralis")],
            "eve": [log(eve, 1)],
        }


def signed_in(app, email_address: str) -> Browser:
    b = Browser(app.test_client())
    assert b.login(email_address).status_code == 302
    return b


def bulk(b: Browser, ids: list[int], token: str | None = None):
    """Post the bulk form as the page would (with ``token``: replay an earlier page's form)."""
    token = token or csrf_token(b.get("/supervisor/sessions").get_data(as_text=True))
    data = {"sessions": [str(i) for i in ids], "sign_off_selected": "Sign off selected sessions", "csrf_token": token}
    return b.client.post("/supervisor/sessions/sign-off", data=data, follow_redirects=True)


def statuses(app) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(select(SupervisedSession.id, SupervisedSession.status)).all())


def sign_off_events(app) -> list[int]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "session.signed_off")).all()
        return sorted(e.details["session_id"] for e in events)


def test_bulk_sign_off_signs_each_selected_log_and_audits_each(app, clinic):
    """Three ticked logs of two trainees are signed off by the supervisor, one audit event each; the rest wait."""
    chosen = clinic["will"][:2] + clinic["tess"][:1]
    page = bulk(signed_in(app, "sup@x.test"), chosen)
    html = page.get_data(as_text=True)
    assert "3 sessions signed off (Tess Trainee: 1; Will Working: 2)." in html
    now = statuses(app)
    assert {i for i, s in now.items() if s == SessionState.SIGNED_OFF} == set(chosen)
    assert now[clinic["will"][2]] == now[clinic["tess"][1]] == SessionState.PENDING
    assert sign_off_events(app) == sorted(chosen)
    with app.app_context():
        sup = db.session.scalar(select(User).where(User.email == "sup@x.test"))
        rows = db.session.scalars(select(SupervisedSession).where(SupervisedSession.id.in_(chosen))).all()
        assert all(r.reviewed_by_id == sup.id and r.reviewed_at is not None for r in rows)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "session.signed_off")).all()
        assert all(e.actor_id == sup.id and e.details["comment"] == "" for e in events)


def test_another_clinics_log_is_refused_and_reported(app, clinic):
    """A South log slipped into a North supervisor's form stays pending, unaudited, and the refusal is said."""
    html = bulk(signed_in(app, "sup@x.test"), [clinic["will"][0], clinic["eve"][0]]).get_data(as_text=True)
    assert "1 session signed off (Will Working: 1)." in html
    assert "Not signed off: 1 session not on your clinic&#39;s list of logs to review." in html
    assert "Eve" not in html
    assert statuses(app)[clinic["eve"][0]] == SessionState.PENDING
    assert sign_off_events(app) == [clinic["will"][0]]


def test_a_double_submit_signs_off_once(app, clinic):
    """The same form posted twice: the second finds the logs reviewed, says so, and audits nothing more."""
    b = signed_in(app, "sup@x.test")
    token = csrf_token(b.get("/supervisor/sessions").get_data(as_text=True))
    chosen = clinic["will"][:2]
    assert "2 sessions signed off" in bulk(b, chosen, token).get_data(as_text=True)
    again = bulk(b, chosen, token).get_data(as_text=True)
    assert "signed off (" not in again
    assert "Already reviewed, left as they were: 2 sessions (Will Working," in again
    assert sign_off_events(app) == sorted(chosen)


def test_two_supervisors_at_once_sign_each_log_off_once(app, clinic):
    """Two supervisors post the same five logs at the same instant: five sign-offs, five audit events in all."""
    chosen = clinic["will"] + clinic["tess"]
    browsers = [signed_in(app, "sup@x.test"), signed_in(app, "sue@x.test")]
    tokens = [csrf_token(b.get("/supervisor/sessions").get_data(as_text=True)) for b in browsers]
    pages = []
    run_together(
        *[
            lambda b=b, t=t: pages.append(bulk(b, chosen, t).get_data(as_text=True))
            for b, t in zip(browsers, tokens, strict=True)
        ]
    )
    assert sign_off_events(app) == sorted(chosen)
    assert all(statuses(app)[i] == SessionState.SIGNED_OFF for i in chosen)
    with app.app_context():
        reviewers = set(
            db.session.scalars(select(SupervisedSession.reviewed_by_id).where(SupervisedSession.id.in_(chosen)))
        )
        actors = set(db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.kind == "session.signed_off")))
    assert reviewers == actors, "each log's audit names the supervisor who signed it"
    assert len(pages) == 2


@pytest.mark.parametrize(
    ("sessions", "status", "says"),
    [
        ([], 200, "Tick the sessions to sign off first."),
        (["abc"], 400, None),
        ([str(2**40)], 400, None),
    ],
)
def test_an_empty_or_malformed_selection_changes_nothing(app, clinic, sessions, status, says):
    """Nothing ticked is explained; ids that are not numbers, or too large for the database, are a 400."""
    b = signed_in(app, "sup@x.test")
    token = csrf_token(b.get("/supervisor/sessions").get_data(as_text=True))
    data = {"sessions": sessions, "sign_off_selected": "Sign off selected sessions", "csrf_token": token}
    page = b.client.post("/supervisor/sessions/sign-off", data=data, follow_redirects=True)
    assert page.status_code == status
    if says:
        assert says in page.get_data(as_text=True)
    assert sign_off_events(app) == []


def test_the_sessions_page_offers_a_box_per_log_and_one_button(app, clinic):
    """Each waiting log has a labelled box tied to the bulk form; an admin sees the logs but no boxes."""
    html = signed_in(app, "sup@x.test").get("/supervisor/sessions").get_data(as_text=True)
    for i in clinic["will"] + clinic["tess"]:
        assert f'form="bulk-sign-off" name="sessions" value="{i}" id="pick-{i}"' in html
        assert f'<label for="pick-{i}">' in html
    assert html.count('type="submit" value="Sign off selected sessions"') == 1
    with app.app_context():
        factories.user("admin@x.test", role="admin", clinic_name=None)
        north = db.session.scalar(select(User.clinic_id).where(User.email == "will@x.test"))
    admin_html = signed_in(app, "admin@x.test").get(f"/supervisor/sessions?clinic={north}").get_data(as_text=True)
    assert "Gluteus medius" in admin_html and "bulk-sign-off" not in admin_html


# --- the supervisor's menu ---------------------------------------------------------------------


def waiting_badge(html: str) -> str | None:
    marker = 'Sessions to review <span class="badge">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def test_the_menu_counts_the_logs_waiting_in_the_supervisors_clinic(app, clinic):
    """North's supervisor sees 5 on every page, then 2 after signing three off; South's sees 1; none at 0."""
    north = signed_in(app, "sup@x.test")
    for url in ("/supervisor/", "/supervisor/sessions", "/auth/password"):
        assert waiting_badge(north.get(url).get_data(as_text=True)) == "5", url
    after = bulk(north, clinic["will"]).get_data(as_text=True)
    assert waiting_badge(after) == "2"
    assert waiting_badge(signed_in(app, "far@x.test").get("/supervisor/").get_data(as_text=True)) == "1"
    bulk(north, clinic["tess"])
    html = north.get("/supervisor/").get_data(as_text=True)
    assert waiting_badge(html) is None and ">Sessions to review</a>" in html


def test_the_count_is_one_query_whatever_the_number_of_logs(app, clinic):
    """One COUNT per page; the sessions page sends as many statements for 5 waiting logs as for 45."""
    b = signed_in(app, "sup@x.test")

    def page_statements(url):
        with recorded_statements(app) as seen:
            assert b.get(url).status_code == 200
        counts = [s for s in seen if "count(" in s.lower() and "supervised_session" in s.lower()]
        return len(seen), counts

    few, counts = page_statements("/supervisor/sessions")
    assert len(counts) == 1
    assert len(page_statements("/auth/password")[1]) == 1
    with app.app_context():
        for n in range(8):
            trainee = factories.user(f"extra{n}@x.test", name=f"Extra Trainee {n}")
            for day in range(5):
                log(trainee, day + 1)
    many, _ = page_statements("/supervisor/sessions")
    assert waiting_badge(b.get("/supervisor/sessions").get_data(as_text=True)) == "45"
    assert few == many, f"{few} statements for 5 logs, {many} for 45"


# --- what the trainee is told --------------------------------------------------------------------


def review_over_http(app, session_id: int, sign_off: bool, comment: str = ""):
    b = signed_in(app, "sup@x.test")
    action = {"sign_off": "Sign off"} if sign_off else {"send_back": "Return to trainee"}
    page = f"/supervisor/trainees/{session_owner(app, session_id)}"
    return b.post_form(page, {**action, "comment": comment}, action=f"/supervisor/sessions/{session_id}/review")


def session_owner(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(SupervisedSession, session_id).trainee_id


def test_the_trainee_home_shows_what_was_reviewed_since_the_last_visit(app, clinic):
    """Reviews after the previous login are listed (signed off, returned with the comment); older ones are not."""
    will = clinic["will"]
    with app.app_context():
        sam = db.session.scalar(select(User).where(User.email == "sup@x.test"))
        session = db.session.get(SupervisedSession, will[0])
        supervised_sessions.review(session, sam, True, "", now=utcnow() - dt.timedelta(hours=2))
    first = signed_in(app, "will@x.test")
    html = first.get("/trainee/").get_data(as_text=True)
    assert "Since your last visit" in html and html.count('badge pass">Signed off') == 1, "first login: every review"

    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    with app.app_context():  # the first visit was an hour ago (the clock counts whole seconds)
        db.session.scalar(select(User).where(User.email == "will@x.test")).last_login_at = an_hour_ago
        db.session.commit()
    review_over_http(app, will[1], sign_off=False, comment="Add the needle length")
    second = signed_in(app, "will@x.test")
    with app.app_context():
        row = db.session.execute(
            select(User.previous_login_at, User.last_login_at).where(User.email == "will@x.test")
        ).one()
    assert row.previous_login_at == an_hour_ago and row.last_login_at > an_hour_ago
    html = second.get("/trainee/").get_data(as_text=True)
    assert "Since your last visit" in html
    assert 'badge fail">Returned' in html and "Add the needle length" in html and "Upper trapezius" in html
    assert 'badge pass">Signed off' not in html, "signed off before the previous login: already seen"
    assert "Log a corrected session" in html

    tess = signed_in(app, "tess@x.test").get("/trainee/").get_data(as_text=True)
    assert "Since your last visit" not in tess, "nothing of Tess's was reviewed"


def test_the_trainee_home_reads_the_notices_in_one_query(app, clinic):
    """Ten reviews by two supervisors cost the home page no more statements than one review."""
    b = signed_in(app, "will@x.test")
    review_over_http(app, clinic["will"][0], sign_off=True)

    def statements():
        with recorded_statements(app) as seen:
            assert b.get("/trainee/").status_code == 200
        return len(seen)

    one = statements()
    with app.app_context():
        will = db.session.scalar(select(User).where(User.email == "will@x.test"))
        sue = db.session.scalar(select(User).where(User.email == "sue@x.test"))
        for _ in range(9):
            session = db.session.get(SupervisedSession, log(will, 4))
            supervised_sessions.review(session, sue, True, "")
    assert statements() == one


def test_a_visit_with_no_news_lists_no_reviews(app, clinic, tmp_path):
    """The home query counts the reviews since the previous login; a visit with none (most of
    them) sends two statements, the user and the home query, and one with news a third that
    lists them."""
    with app.app_context():
        factories.tiny_bank(tmp_path)  # the count comes with the banks' rows
    b = signed_in(app, "will@x.test")

    def statements():
        with recorded_statements(app) as seen:
            html = b.get("/trainee/").get_data(as_text=True)
        return len(seen), "Since your last visit" in html

    assert statements() == (2, False)
    review_over_http(app, clinic["will"][0], sign_off=True)
    assert statements() == (3, True)


def test_home_visits_with_news_keep_no_memory(app, clinic):
    """A memoized helper once kept the parts of a statement built on every visit that lists
    reviews: each such visit grew the worker by a few kilobytes, for as long as it lived."""
    b = signed_in(app, "will@x.test")
    review_over_http(app, clinic["will"][0], sign_off=True)
    for _ in range(20):  # compiled-statement caches and first-use imports fill here
        assert "Since your last visit" in b.get("/trainee/").get_data(as_text=True)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(200):
            assert "Since your last visit" in b.get("/trainee/").get_data(as_text=True)
        gc.collect()
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 100_000, f"{kept} bytes still held after 200 visits"


def message_body(raw: str) -> tuple[str, str, str]:
    parsed = email.message_from_string(raw, policy=policy.default)
    return parsed["To"], parsed["Subject"], parsed.get_body().get_content()


def test_the_trainee_is_emailed_when_a_log_is_signed_off_or_returned(app, clinic, mailer):
    """A sign-off and a return each send the trainee one message, through a real SMTP server on loopback."""
    review_over_http(app, clinic["will"][0], sign_off=True)
    review_over_http(app, clinic["will"][1], sign_off=False, comment="Add the needle length")
    assert len(mailer.messages) == 2
    to, subject, body = message_body(mailer.messages[0])
    day = (utcnow().date() - dt.timedelta(days=3)).strftime("%d %b %Y")
    assert to == "will@x.test" and subject == f"Your supervised session of {day} was signed off"
    assert "Sam Supervisor signed off:" in body and "Lumbar spine and pelvis: Gluteus medius" in body
    assert "Your sessions: https://nw.test/trainee/certification" in body
    to, subject, body = message_body(mailer.messages[1])
    assert to == "will@x.test" and subject.endswith("was returned")
    assert "Comment: Add the needle length" in body and "submit it again" in body


def test_a_bulk_sign_off_sends_each_trainee_one_message(app, clinic, mailer):
    """Three logs of Will and one of Tess signed off together: one message each, listing their own logs."""
    bulk(signed_in(app, "sup@x.test"), clinic["will"] + clinic["tess"][:1])
    sent = {to: (subject, body) for to, subject, body in map(message_body, mailer.messages)}
    assert sorted(sent) == ["tess@x.test", "will@x.test"]
    assert sent["will@x.test"][0] == "3 of your supervised sessions were signed off"
    assert sent["will@x.test"][1].count("\n- ") == 3 and "Upper trapezius" in sent["will@x.test"][1]
    assert sent["tess@x.test"][1].count("\n- ") == 1 and "Will" not in sent["tess@x.test"][1]


def test_a_review_stands_when_the_mail_server_is_down(app, clinic, mail_server_down):
    """Mail configured but nobody listening: the log is still signed off, and the page says so."""
    page = bulk(signed_in(app, "sup@x.test"), clinic["will"][:1])
    assert "1 session signed off" in page.get_data(as_text=True)
    assert statuses(app)[clinic["will"][0]] == SessionState.SIGNED_OFF

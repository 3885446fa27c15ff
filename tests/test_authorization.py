"""Who may open what: every route, requested as six kinds of visitor, against a table.

A route that is missing from ``MATRIX`` fails ``test_every_route_is_in_the_matrix``, so a new
page cannot ship without someone deciding who may see it.
"""

import datetime as dt

import pytest

from quizapp.models import utcnow
from quizapp.services.certification import evaluation, supervised_sessions

from . import factories, images
from .conftest import Browser, csrf_token
from .test_certification import pass_bank

ROLES = ("anonymous", "trainee", "trainee_elsewhere", "supervisor", "supervisor_elsewhere", "admin")
LOGIN, OK, GONE, REDIRECT = "login", 200, 404, 302

# endpoint -> (method, url template, expected per role in ROLES order)
MATRIX = {
    "index": ("GET", "/", (REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "healthz": ("GET", "/healthz", (OK, OK, OK, OK, OK, OK)),
    "static": ("GET", "/static/css/app.css", (OK, OK, OK, OK, OK, OK)),
    "auth.login": ("GET", "/auth/login", (OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "auth.logout": ("POST", "/auth/logout", (REDIRECT,) * 6),
    "auth.change_password": ("GET", "/auth/password", (LOGIN, OK, OK, OK, OK, OK)),
    "auth.forgot_password": ("GET", "/auth/forgot", (OK, OK, OK, OK, OK, OK)),
    "auth.reset_password": ("GET", "/auth/reset/not-a-real-token", (REDIRECT,) * 6),
    "public.verify": ("GET", "/verify/{code}", (OK, OK, OK, OK, OK, OK)),
    "public.check": ("GET", "/verify", (OK, OK, OK, OK, OK, OK)),
    "trainee.home": ("GET", "/trainee/", (LOGIN, OK, OK, GONE, GONE, GONE)),
    "trainee.bank": ("GET", "/trainee/banks/tiny", (LOGIN, OK, OK, GONE, GONE, GONE)),
    "trainee.start": ("POST", "/trainee/banks/tiny/start", (LOGIN, REDIRECT, REDIRECT, GONE, GONE, GONE)),
    "trainee.resume": ("GET", "/trainee/attempts/{attempt}", (LOGIN, REDIRECT, GONE, GONE, GONE, GONE)),
    "trainee.question": ("GET", "/trainee/attempts/{open_attempt}/questions/1", (LOGIN, OK, GONE, GONE, GONE, GONE)),
    "trainee.finish": ("GET", "/trainee/attempts/{open_attempt}/finish", (LOGIN, OK, GONE, GONE, GONE, GONE)),
    "trainee.review": ("GET", "/trainee/attempts/{attempt}/review", (LOGIN, OK, GONE, GONE, GONE, GONE)),
    "trainee.certification_page": ("GET", "/trainee/certification", (LOGIN, OK, OK, GONE, GONE, GONE)),
    "trainee.log_session": ("GET", "/trainee/sessions/new", (LOGIN, OK, OK, GONE, GONE, GONE)),
    "trainee.practice_home": ("GET", "/trainee/practice", (LOGIN, OK, OK, GONE, GONE, GONE)),
    "trainee.practice_start": ("POST", "/trainee/practice/start", (LOGIN, REDIRECT, REDIRECT, GONE, GONE, GONE)),
    "trainee.practice_item": ("GET", "/trainee/practice/items/{practice_item}", (LOGIN, OK, GONE, GONE, GONE, GONE)),
    "trainee.certificate_pdf": ("GET", "/trainee/certificates/{code}.pdf", (LOGIN, OK, GONE, GONE, GONE, GONE)),
    "supervisor.home": ("GET", "/supervisor/", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.sessions": ("GET", "/supervisor/sessions", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.review_session": (
        "POST",
        "/supervisor/sessions/{session}/review",
        (LOGIN, GONE, GONE, REDIRECT, GONE, GONE),
    ),
    "supervisor.sign_off_sessions": (
        "POST",
        "/supervisor/sessions/sign-off",
        (LOGIN, GONE, GONE, REDIRECT, REDIRECT, GONE),
    ),
    "supervisor.trainee": ("GET", "/supervisor/trainees/{trainee}", (LOGIN, GONE, GONE, OK, GONE, OK)),
    "supervisor.accommodation": (
        "POST",
        "/supervisor/trainees/{trainee}/accommodation",
        (LOGIN, GONE, GONE, REDIRECT, GONE, REDIRECT),
    ),
    "supervisor.revoke": (
        "POST",
        "/supervisor/certificates/{certificate}/revoke",
        (LOGIN, GONE, GONE, REDIRECT, GONE, REDIRECT),
    ),
    "supervisor.certificate_pdf": (
        "GET",
        "/supervisor/certificates/{certificate}.pdf",
        (LOGIN, GONE, GONE, OK, GONE, OK),
    ),
    "supervisor.attempt_review": ("GET", "/supervisor/attempts/{attempt}/review", (LOGIN, GONE, GONE, OK, GONE, OK)),
    "supervisor.export_progress": ("GET", "/supervisor/export/progress.csv", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.export_attempts": ("GET", "/supervisor/export/attempts.csv", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.export_responses": ("GET", "/supervisor/export/responses.csv", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.export_xapi": ("GET", "/supervisor/export/xapi.json", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.item_analysis": ("GET", "/supervisor/items", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.calibration": ("GET", "/supervisor/calibration", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.standards": ("GET", "/supervisor/standards", (LOGIN, GONE, GONE, OK, OK, OK)),
    "supervisor.rate": ("GET", "/supervisor/standards/tiny/rate", (LOGIN, GONE, GONE, OK, OK, OK)),
    "admin.adopt_pass_mark": (
        "POST",
        "/admin/clinics/{clinic}/banks/tiny/pass-mark",
        (LOGIN, GONE, GONE, GONE, GONE, REDIRECT),
    ),
    "admin.home": ("GET", "/admin/", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.programme": ("GET", "/admin/clinics/{clinic}/programme", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.clinic_settings": ("GET", "/admin/clinics/{clinic}/settings", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.clinic_logo": ("GET", "/admin/clinics/{clinic}/logo", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.people": ("GET", "/admin/people", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.person": ("GET", "/admin/people/{trainee}", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.create_clinic": ("POST", "/admin/clinics", (LOGIN, GONE, GONE, GONE, GONE, REDIRECT)),
    "admin.reset_password": ("POST", "/admin/people/{trainee}/reset-password", (LOGIN, GONE, GONE, GONE, GONE, OK)),
    "admin.audit": ("GET", "/admin/audit", (LOGIN, GONE, GONE, GONE, GONE, OK)),
}

POST_DATA = {
    "supervisor.review_session": {"sign_off": "Sign off", "comment": ""},
    "supervisor.sign_off_sessions": {"sign_off_selected": "Sign off selected sessions"},
    "supervisor.accommodation": {"time_multiplier": "1.25", "extra_attempts": "0", "reason": "Assessment on file"},
    "supervisor.revoke": {"reason": "Matrix test"},
    "admin.adopt_pass_mark": {"pass_mark": "60"},
    "admin.create_clinic": {"name": "Matrix Clinic"},
    "trainee.practice_start": {"bank": "tiny"},
}


@pytest.fixture
def world(app, tmp_path):
    """One clinic with a certified trainee (open and closed attempts, a pending log); a second clinic."""
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        trainee = factories.user("trainee@x.test")
        factories.user("trainee2@x.test", clinic_name="South Clinic")
        sup = factories.user("supervisor@x.test", role="supervisor")
        factories.user("supervisor2@x.test", role="supervisor", clinic_name="South Clinic")
        admin = factories.user("admin@x.test", role="admin", clinic_name=None)
        trainee.clinic.logo, trainee.clinic.logo_mime = images.png(), "image/png"  # committed with the programme
        factories.quiz_only_programme(trainee.clinic_id, admin)
        closed = pass_bank(trainee, bank, utcnow() - dt.timedelta(hours=1))
        cert = evaluation.refresh(trainee).certificate
        from quizapp.services.quiz import attempts

        opened = attempts.start_or_resume(trainee, bank, seed=5)
        log = supervised_sessions.log_session(trainee, utcnow().date(), "lumbopelvic", "Multifidus", "")
        from quizapp.services.learning import practice

        item = practice.start_item(trainee, utcnow(), bank)
        return {
            "attempt": closed.id,
            "open_attempt": opened.id,
            "code": cert.code,
            "certificate": cert.id,
            "session": log.id,
            "practice_item": item.id,
            "trainee": trainee.id,
            "clinic": trainee.clinic_id,
            "_sup": sup.id,
        }


def visitor(app, role):
    b = Browser(app.test_client())
    emails = {
        "trainee": "trainee@x.test",
        "trainee_elsewhere": "trainee2@x.test",
        "supervisor": "supervisor@x.test",
        "supervisor_elsewhere": "supervisor2@x.test",
        "admin": "admin@x.test",
    }
    if role != "anonymous":
        assert b.login(emails[role]).status_code == 302
    return b


def test_every_route_is_in_the_matrix(app):
    """Each endpoint the app serves has an entry, and the table names no endpoint that is gone."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), f"missing: {endpoints - set(MATRIX)}; stale: {set(MATRIX) - endpoints}"


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(app, world, role):
    """Every route answers each kind of visitor as the table says."""
    b = visitor(app, role)
    token_page = "/auth/login" if role == "anonymous" else "/auth/password"
    token = None
    failures = []
    for endpoint, (method, template, expected) in MATRIX.items():
        want = expected[ROLES.index(role)]
        url = template.format(**world)
        if method == "GET":
            response = b.get(url)
        else:
            if token is None:
                token = csrf_token(b.get(token_page).get_data(as_text=True))
            response = b.client.post(url, data={**POST_DATA.get(endpoint, {}), "csrf_token": token})
        got = response.status_code
        response.close()  # static files stream from disk
        if want == LOGIN:
            ok = got == 302 and "/auth/login" in response.headers.get("Location", "")
        else:
            ok = got == want
        if not ok:
            failures.append(f"{method} {url}: expected {want}, got {got}")
        if endpoint == "auth.logout":
            b = visitor(app, role)  # the matrix just logged out: log in again, with a fresh token
            token = None
    assert not failures, "\n".join(failures)

"""Logging in and out, disabled accounts, password change, CSRF, headers."""

from argon2 import PasswordHasher, Type, extract_parameters
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import AuditEvent, User
from quizapp.services.people.passwords import hash_password, verify_password

from . import factories
from .conftest import PASSWORD, Browser


def test_login_success_redirects_home_and_is_audited(app, client):
    """Right credentials log in and land on the role's home."""
    with app.app_context():
        factories.user("t@x.test")
    r = Browser(client).login("T@X.test ")
    assert r.status_code == 302 and r.headers["Location"].endswith("/trainee/")
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.kind).order_by(AuditEvent.id.desc())) == "login.success"


def test_wrong_password_and_unknown_user_look_the_same(app, client):
    """No user enumeration: both failures give the same status and message."""
    with app.app_context():
        factories.user("t@x.test")
    wrong = Browser(client).login("t@x.test", "not-the-password")
    unknown = Browser(app.test_client()).login("nobody@x.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert b"E-mail or password is not right" in wrong.data and b"E-mail or password is not right" in unknown.data


def test_disabled_user_cannot_log_in(app, client):
    """An inactive account is refused even with the right password."""
    with app.app_context():
        factories.user("gone@x.test", active=False)
    r = Browser(client).login("gone@x.test")
    assert r.status_code == 401
    assert client.get("/trainee/").status_code == 302


def test_disabling_a_user_ends_their_session(app, client):
    """A user disabled mid-session is logged out on the next request."""
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(client)
    b.login("t@x.test")
    assert b.get("/trainee/").status_code == 200
    with app.app_context():
        db.session.scalar(select(User)).active = False
        db.session.commit()
    assert b.get("/trainee/").status_code == 302


def test_logout_needs_post_with_csrf(app, client):
    """Logout is a CSRF-protected POST; afterwards pages need a login again."""
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(client)
    b.login("t@x.test")
    assert client.post("/auth/logout").status_code == 400
    assert b.get("/trainee/").status_code == 200
    b.post_form("/trainee/", {}, action="/auth/logout")
    assert b.get("/trainee/").status_code == 302


def test_login_without_csrf_token_is_400(app, client):
    """A login form without its token is refused with a readable page."""
    with app.app_context():
        factories.user("t@x.test")
    r = client.post("/auth/login", data={"email": "t@x.test", "password": PASSWORD})
    assert r.status_code == 400 and b"nothing was saved" in r.data


def test_password_change_logs_out_other_sessions(app, client):
    """Changing the password keeps this session, ends the others, and stores an argon2 hash."""
    with app.app_context():
        factories.user("t@x.test")
    here, elsewhere = Browser(client), Browser(app.test_client())
    here.login("t@x.test")
    elsewhere.login("t@x.test")
    r = here.post_form(
        "/auth/password", {"current": PASSWORD, "new": "a-brand-new-secret", "confirm": "a-brand-new-secret"}
    )
    assert r.status_code == 302
    assert here.get("/trainee/").status_code == 200
    assert elsewhere.get("/trainee/").status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
        assert stored.startswith("$argon2id$") and verify_password(stored, "a-brand-new-secret")


def test_password_change_rejects_wrong_current_password(app, client):
    """A wrong current password changes nothing."""
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(client)
    b.login("t@x.test")
    r = b.post_form(
        "/auth/password", {"current": "wrong-password", "new": "a-brand-new-secret", "confirm": "a-brand-new-secret"}
    )
    assert r.status_code == 200 and b"current password is not right" in r.data
    with app.app_context():
        assert verify_password(db.session.scalar(select(User.password_hash)), PASSWORD)


def test_open_redirect_after_login_is_ignored(app, client):
    """?next= may only point inside the site."""
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(client)
    r = b.post_form(
        "/auth/login", {"email": "t@x.test", "password": PASSWORD}, action="/auth/login?next=https://evil.example/"
    )
    assert r.headers["Location"].endswith("/trainee/")


def test_security_headers_and_cookie_flags(app, client):
    """Every page carries CSP, frame denial and nosniff; the session cookie is HttpOnly and SameSite."""
    with app.app_context():
        factories.user("t@x.test")
    r = client.get("/auth/login")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    login = Browser(client).login("t@x.test")
    cookie = login.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unique_hash_per_password():
    """argon2 salts each hash."""
    assert hash_password("same-password-x") != hash_password("same-password-x")


def test_hashes_meet_owasps_argon2id_recommendation():
    """OWASP's Password Storage Cheat Sheet: argon2id, at least 19 MiB, 2 iterations, parallelism 1."""
    parameters = extract_parameters(hash_password("a-long-enough-secret"))
    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2 and parameters.parallelism >= 1


def test_a_hash_made_with_other_parameters_still_logs_in_and_is_rehashed(app):
    """Accounts hashed with argon2-cffi's earlier default (64 MiB, 3 iterations, 4 lanes) keep working;
    their next login stores a hash with the current parameters."""
    old = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash(PASSWORD)
    with app.app_context():
        factories.user("t@x.test")
        db.session.scalars(select(User)).one().password_hash = old
        db.session.commit()
    assert Browser(app.test_client()).login("t@x.test").status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
    assert stored != old and extract_parameters(stored) == extract_parameters(hash_password("x" * 12))
    assert verify_password(stored, PASSWORD)


def test_session_cookie_is_secure_over_https_only(app):
    """Over HTTPS the session cookie carries Secure; over plain HTTP (local runs) it cannot."""
    with app.app_context():
        factories.user("t@x.test")
    plain = Browser(app.test_client()).login("t@x.test")
    assert "Secure" not in plain.headers["Set-Cookie"]
    tls = app.test_client()
    page = tls.get("/auth/login", base_url="https://localhost")
    assert "Secure" in page.headers["Set-Cookie"]
    from .conftest import csrf_token

    token = csrf_token(page.get_data(as_text=True))
    r = tls.post(
        "/auth/login",
        data={"email": "t@x.test", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/auth/login"},  # Flask-WTF checks it over HTTPS
    )
    assert r.status_code == 302 and "Secure" in r.headers["Set-Cookie"]


def test_login_issues_a_fresh_session(app, client):
    """Session rotation: what was in the anonymous session (its CSRF token) does not survive login."""
    with app.app_context():
        factories.user("t@x.test")
    from .conftest import csrf_token

    before_token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    before_cookie = client.get_cookie("session").value
    r = client.post("/auth/login", data={"email": "t@x.test", "password": PASSWORD, "csrf_token": before_token})
    assert r.status_code == 302
    assert client.get_cookie("session").value != before_cookie
    # The token minted for the anonymous session is no longer accepted in the new one.
    stale = client.post(
        "/auth/password", data={"current": PASSWORD, "new": "x" * 12, "confirm": "x" * 12, "csrf_token": before_token}
    )
    assert stale.status_code == 400

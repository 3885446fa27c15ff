"""Hardening: sessions that end at logout, hostile input on every form and path, throttles, resets, hosts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from quizapp.config import Config
from quizapp.extensions import db, limiter
from quizapp.models import AuditEvent, Clinic, LoginSession, User

from . import factories
from .conftest import Browser, csrf_token
from .test_authorization import MATRIX, visitor, world  # noqa: F401  (world is a fixture)

# --- sessions ------------------------------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str, **environ):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/trainee/", environ_base=environ)


def test_logout_ends_the_session_on_the_server(app):
    """A session cookie copied before logout no longer opens anything afterwards."""
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(app.test_client())
    b.login("t@x.test")
    copied = _cookie(b.client)
    assert _replay(app, copied).status_code == 200, "the copy works while the session is live"
    token = csrf_token(b.get("/trainee/").get_data(as_text=True))
    assert b.client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    replayed = _replay(app, copied)
    assert replayed.status_code == 302 and "/auth/login" in replayed.headers["Location"]
    with app.app_context():
        row = db.session.scalar(select(LoginSession))
        assert row.ended_at is not None and row.ended_reason == "logout"


def test_logging_out_one_browser_keeps_the_others(app):
    """Logout ends this session only; the same person's session on another browser goes on."""
    with app.app_context():
        factories.user("t@x.test")
    phone, desk = Browser(app.test_client()), Browser(app.test_client())
    phone.login("t@x.test")
    desk.login("t@x.test")
    token = csrf_token(phone.get("/trainee/").get_data(as_text=True))
    phone.client.post("/auth/logout", data={"csrf_token": token})
    assert desk.get("/trainee/").status_code == 200


def test_session_binding_ignores_a_forged_forwarded_for(app):
    """With no trusted proxy, X-Forwarded-For is ignored: a replay from elsewhere with the old header fails."""
    with app.app_context():
        factories.user("t@x.test")
    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.7", "User-Agent": "Firefox"}
    page = client.get("/auth/login", headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    client.post(
        "/auth/login",
        data={"email": "t@x.test", "password": factories.PASSWORD, "csrf_token": csrf_token(page.get_data(True))},
        headers=headers,
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    cookie = _cookie(client)
    same = app.test_client()
    same.set_cookie("session", cookie)
    assert same.get("/trainee/", headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    stolen = thief.get("/trainee/", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.66"})
    assert stolen.status_code == 302 and "/auth/login" in stolen.headers["Location"]


# --- hostile input on every form and path parameter -----------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: action, method and each named field with a plausible value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": (a.get("method") or "get").lower(), "fields": {}})
        elif not self.forms:
            return
        elif tag in ("input", "textarea", "button") and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and a["name"] in self.forms[-1]["fields"]:
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value") or "1"
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["fields"][a["name"]] = ""
        elif tag == "option" and self._select and not self.forms[-1]["fields"][self._select]:
            self.forms[-1]["fields"][self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


PAGES = [t.format for _, (m, t, _) in MATRIX.items() if m == "GET" and not t.startswith("/static")]
NUL = "fine\x00text"


@pytest.mark.parametrize("role", ["anonymous", "trainee", "supervisor", "admin"])
def test_nul_in_every_form_field_is_a_clear_400(app, world, role):  # noqa: F811
    """Every field of every form a role can open, sent with a NUL byte: a 400 that says why, never a 500."""
    b = visitor(app, role)
    sent = 0
    failures = []
    for page_template in PAGES:
        page = page_template(**world)
        response = b.get(page)
        response.close()  # exports stream
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for form in _forms(response.get_data(as_text=True)):
            action = form["action"] or page
            for name in form["fields"]:
                if name == "csrf_token":
                    continue
                data = {**form["fields"], name: NUL}
                if form["method"] == "post":
                    result = b.client.post(action, data=data)
                else:
                    result = b.client.get(action, query_string=data)
                sent += 1
                body = result.get_data(as_text=True)
                if result.status_code != 400 or "control character" not in body:
                    failures.append(f"{form['method'].upper()} {action} {name}: {result.status_code}")
    assert sent >= 3, "the crawl reached the forms"
    assert not failures, "\n".join(failures)


def _path_urls(app, value_for_int: str, value_for_text: str, needs: str) -> list[str]:
    """Every rule that has a parameter of kind ``needs`` ("int" or "text"), filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        params = re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)
        if rule.endpoint == "static" or not any((c == "int") == (needs == "int") for c, _ in params):
            continue
        url = rule.rule
        for converter, name in params:
            value = value_for_int if converter == "int" else value_for_text
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
        urls.append(url)
    return urls


@pytest.mark.parametrize("role", ["anonymous", "trainee", "supervisor", "admin"])
def test_every_path_parameter_refuses_nul_and_huge_numbers(app, world, role):  # noqa: F811
    """A NUL in a text parameter is a 400; an integer past the column's range is a 404; never a 500."""
    b = visitor(app, role)
    token = csrf_token(b.get("/auth/login" if role == "anonymous" else "/auth/password").get_data(as_text=True))
    failures = []
    for url in _path_urls(app, "1", "a%00b", needs="text"):
        for method in ("GET", "POST"):
            got = b.client.open(url, method=method, data={"csrf_token": token}).status_code
            if got not in (400, 405) and not (got == 302 and role == "anonymous"):
                failures.append(f"{method} {url}: {got}")
    huge = "99999999999999999999999999999"
    for url in _path_urls(app, huge, "tiny", needs="int"):
        got = b.client.get(url).status_code
        if got >= 500 or got == 200:
            failures.append(f"GET {url}: {got}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "query", ["?clinic=999999999999999999999999999999", "?clinic=-1", "?clinic=1e9", "?clinic=%00", "?clinic=١"]
)
def test_numeric_query_parameters_are_bounded(app, world, query):  # noqa: F811
    """An admin's clinic parameter that no INTEGER column holds is ignored or refused, never a 500."""
    b = visitor(app, "admin")
    for page in ("/supervisor/", "/supervisor/sessions", "/supervisor/items", "/supervisor/export/progress.csv"):
        assert b.get(page + query).status_code in (200, 400, 404), page + query


@pytest.mark.parametrize("value", ["NaN", "sNaN", "-sNaN", "Infinity", "-inf", "1e99999"])
def test_numeric_fields_refuse_nan_and_infinity(app, world, value):  # noqa: F811
    """The time multiplier refuses NaN, sNaN and infinities with a form error: 400, nothing saved."""
    b = visitor(app, "supervisor")
    page = f"/supervisor/trainees/{world['trainee']}"
    data = {"time_multiplier": value, "extra_attempts": "0", "reason": "Dyslexia assessment"}
    response = b.post_form(page, data, action=page + "/accommodation")
    assert response.status_code == 400
    with app.app_context():
        from quizapp.models import Accommodation

        assert db.session.scalar(select(Accommodation)) is None


def test_an_oversized_body_gets_a_friendly_413(app):
    """A 10 MB login body is refused before it is read, with a page that says so."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "x" * (10 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["Eve\u202eoj", "Zero\u200bWidth", "Bell\u0007", "Line\u2028Break"])
def test_names_refuse_control_and_format_characters(app, world, name):  # noqa: F811
    """Bidi overrides and invisible characters in people's and clinics' names are refused with a reason."""
    b = visitor(app, "admin")
    created = b.post_form(
        "/admin/people",
        {"email": "new@x.test", "name": name, "role": "trainee", "clinic": str(world["clinic"]), "password": "x" * 12},
    )
    assert created.status_code in (200, 400)
    assert "invisible or control characters" in created.get_data(as_text=True) or created.status_code == 400
    clinic = b.post_form("/admin/", {"name": name}, action="/admin/clinics", follow_redirects=True)
    assert clinic.status_code in (200, 400)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new@x.test")) is None
        assert all(name not in c.name for c in db.session.scalars(select(Clinic)))


def test_names_are_stored_in_nfc(app, world):  # noqa: F811
    """ "é" typed as e + combining accent is stored as the single character, so it matches and prints one way."""
    b = visitor(app, "admin")
    decomposed = "Rene\u0301e Dubois"
    b.post_form(
        "/admin/people",
        {
            "email": "r@x.test",
            "name": decomposed,
            "role": "trainee",
            "clinic": str(world["clinic"]),
            "password": "x" * 12,
        },
    )
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "r@x.test")) == "Ren\u00e9e Dubois"


# --- throttles ------------------------------------------------------------------------------


@pytest.fixture
def production_limits(app):
    names = (
        "LOGIN_RATE_LIMIT",
        "ACCOUNT_LOGIN_RATE_LIMIT",
        "ACCOUNT_UNKNOWN_DEVICE_RATE_LIMIT",
        "PASSWORD_CHECK_RATE_LIMIT",
        "RESET_REQUEST_RATE_LIMIT",
    )
    saved = {k: app.config[k] for k in names}
    app.config.update({k: getattr(Config, k) for k in names})
    limiter.reset()
    yield app
    app.config.update(saved)
    limiter.reset()


def _login(app, email, password, address, cookies=None):
    client = app.test_client()
    for name, value in (cookies or {}).items():
        client.set_cookie(name, value, path="/auth/")
    page = client.get("/auth/login", environ_base={"REMOTE_ADDR": address})
    response = client.post(
        "/auth/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))},
        environ_base={"REMOTE_ADDR": address},
    )
    return client, response


def test_wrong_current_passwords_are_throttled_per_account(production_limits):
    """A hijacked session cannot guess the real password: five wrong ones, then 429 on that account."""
    app = production_limits
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(app.test_client())
    b.login("t@x.test")
    data = {"current": "wrong-password", "new": "another-password-1", "confirm": "another-password-1"}
    codes = [b.post_form("/auth/password", data).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_strangers_cannot_lock_the_owner_out_of_their_own_browser(production_limits):
    """Failures from many addresses block unknown browsers, not the browser the owner logged in on before."""
    app = production_limits
    with app.app_context():
        factories.user("t@x.test")
    owner, ok = _login(app, "t@x.test", factories.PASSWORD, "198.51.100.1")
    assert ok.status_code == 302
    device = owner.get_cookie("nw_device", path="/auth/").value
    codes = [_login(app, "t@x.test", f"guess-{n}", f"203.0.113.{n}")[1].status_code for n in range(25)]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}, codes
    assert _login(app, "t@x.test", factories.PASSWORD, "203.0.113.200")[1].status_code == 429, "unknown browser"
    again = _login(app, "t@x.test", factories.PASSWORD, "198.51.100.9", cookies={"nw_device": device})[1]
    assert again.status_code == 302, "the owner's browser still gets in"


def test_one_address_is_slowed_on_one_account(production_limits):
    """Five failures on one account from one address, then 429 for that pair; another address still tries."""
    app = production_limits
    with app.app_context():
        factories.user("t@x.test")
    codes = [_login(app, "t@x.test", f"guess-{n}", "203.0.113.5")[1].status_code for n in range(6)]
    assert codes == [401] * 5 + [429]
    assert _login(app, "t@x.test", factories.PASSWORD, "198.51.100.1")[1].status_code == 302


# --- password resets -----------------------------------------------------------------------


def test_an_admin_reset_gives_a_one_time_password_that_must_be_replaced(app, world):  # noqa: F811
    """The temporary password is shown once, ends the person's sessions, and forces a new one at login."""
    trainee = visitor(app, "trainee")
    admin = visitor(app, "admin")
    page = f"/admin/people/{world['trainee']}"
    shown = admin.post_form(page, {}, action=page + "/reset-password").get_data(as_text=True)
    temporary = re.search(r'<code class="secret">([^<]+)</code>', shown).group(1)
    assert trainee.get("/trainee/").status_code == 302, "their open session ended"
    assert temporary not in admin.get(page).get_data(as_text=True), "shown only once"
    fresh = Browser(app.test_client())
    assert fresh.login("trainee@x.test", temporary).status_code == 302
    forced = fresh.get("/trainee/", follow_redirects=True).get_data(as_text=True)
    assert "Choose a new password" in forced or "reset your password" in forced
    new = "my-own-password-9"
    changed = fresh.post_form("/auth/password", {"current": temporary, "new": new, "confirm": new})
    assert changed.status_code == 302
    assert fresh.get("/trainee/").status_code == 200
    with app.app_context():
        kinds = set(db.session.scalars(select(AuditEvent.kind)))
        assert {"password.reset_by_admin", "password.changed"} <= kinds


def _reset_link(outbox) -> str:
    body = outbox.messages[-1].replace("=\r\n", "").replace("=3D", "=")
    return re.search(r"https://nw\.test(/auth/reset/\S+)", body).group(1)


HTTPS = {"base_url": "https://nw.test", "headers": {"Referer": "https://nw.test/auth/"}}


def _ask_for_link(client, email):
    page = client.get("/auth/forgot", **HTTPS)
    return client.post("/auth/forgot", data={"email": email, "csrf_token": csrf_token(page.get_data(True))}, **HTTPS)


def test_a_reset_link_works_once_and_ends_every_session(app, mailer):
    """The e-mailed link sets a new password once; the person's other sessions end; a second use fails."""
    with app.app_context():
        factories.user("t@x.test")
    other_session = Browser(app.test_client())
    other_session.login("t@x.test")
    client = app.test_client()
    assert _ask_for_link(client, "t@x.test").status_code == 302
    link = _reset_link(mailer)
    page = client.get(link, **HTTPS)
    assert page.status_code == 200
    new = "brand-new-password-1"
    data = {"new": new, "confirm": new, "csrf_token": csrf_token(page.get_data(as_text=True))}
    assert client.post(link, data=data, **HTTPS).status_code == 302
    assert other_session.get("/trainee/").status_code == 302, "other sessions ended"
    assert Browser(app.test_client()).login("t@x.test", new).status_code == 302
    again = client.get(link, **HTTPS)
    assert again.status_code == 302 and "/auth/forgot" in again.headers["Location"], "single use"


def test_a_reset_link_expires_after_30_minutes(app, mailer, monkeypatch):
    """A link older than 30 minutes is refused."""
    import time as time_module

    with app.app_context():
        factories.user("t@x.test")
    client = app.test_client()
    _ask_for_link(client, "t@x.test")
    link = _reset_link(mailer)
    real = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real() + 31 * 60)
    late = client.get(link, **HTTPS)
    assert late.status_code == 302 and "/auth/forgot" in late.headers["Location"]


def test_forgot_password_does_not_tell_who_has_an_account(app, mailer):
    """Known and unknown addresses get the same answer; only the known one gets mail."""
    with app.app_context():
        factories.user("t@x.test")
    known = _ask_for_link(app.test_client(), "t@x.test")
    unknown = _ask_for_link(app.test_client(), "nobody@x.test")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(mailer.messages) == 1


def test_without_mail_the_login_page_says_to_ask_an_administrator(app):
    """No mail server: no reset form, and the way to get help is stated."""
    page = app.test_client().get("/auth/login").get_data(as_text=True)
    assert "Ask an administrator" in page
    assert "E-mail me a reset link" not in app.test_client().get("/auth/forgot").get_data(as_text=True)


# --- hosts, HSTS ----------------------------------------------------------------------------


def test_public_url_is_used_for_links_and_other_hosts_are_refused(app, world):  # noqa: F811
    """With PUBLIC_URL set, exported ids use it whatever Host a request sends, and unknown hosts get 400."""
    from quizapp import create_app

    from .conftest import _config

    public = create_app(
        {
            **_config(),
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PUBLIC_URL": "https://needlework.example.org",
            "EXTRA_TRUSTED_HOSTS": "localhost",
        },
        migrations=False,
    )
    try:
        assert public.test_client().get("/auth/login", headers={"Host": "evil.example"}).status_code == 400
        b = Browser(public.test_client())
        b.login("supervisor@x.test")
        export = b.get("/supervisor/export/xapi.json")
        body = export.get_data(as_text=True)
        export.close()
    finally:  # its own engine: left to the garbage collector, its connection warns in a later test
        with public.app_context():
            db.engine.dispose()
    assert "https://needlework.example.org/" in body and "http://localhost" not in body


def test_hsts_on_https_only(app):
    """Strict-Transport-Security goes on responses to HTTPS requests, not on plain HTTP."""
    client = app.test_client()
    assert "max-age=" in client.get("/auth/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers

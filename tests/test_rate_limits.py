"""Login throttling: per address and per account, with a clear message and no user enumeration."""

import statistics
import time

import pytest

from quizapp.config import Config
from quizapp.extensions import limiter

from . import factories
from .conftest import Browser, csrf_token


@pytest.fixture
def limited(app):
    """The production login limits (the suite's are generous), read by the limiter per request."""
    saved = {k: app.config[k] for k in ("LOGIN_RATE_LIMIT", "ACCOUNT_LOGIN_RATE_LIMIT")}
    app.config.update({k: getattr(Config, k) for k in saved})
    limiter.reset()
    yield app
    app.config.update(saved)
    limiter.reset()


def attempt(client, email, password):
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


def test_failures_on_one_account_are_slowed(limited):
    """Five wrong passwords for one account, then 429 with a clear message, even with the right one."""
    with limited.app_context():
        factories.user("t@x.test")
    for n in range(5):
        # a new client each time: a fresh address-independent session, same account
        assert attempt(limited.test_client(), "t@x.test", f"wrong-{n}").status_code == 401
    blocked = attempt(limited.test_client(), "t@x.test", factories.PASSWORD)
    assert blocked.status_code == 429
    assert "Too many login attempts" in blocked.get_data(as_text=True)
    assert attempt(limited.test_client(), "other@x.test", "whatever-pass").status_code == 401, (
        "other accounts unaffected"
    )


def test_successful_logins_do_not_count_against_the_account(limited):
    """Only failures are counted per account: a trainee logging in often is never locked out."""
    with limited.app_context():
        factories.user("t@x.test")
    for _ in range(7):
        assert attempt(limited.test_client(), "t@x.test", factories.PASSWORD).status_code == 302


def test_one_address_is_slowed_across_accounts(limited):
    """Ten tries a minute from one address, spread over many accounts, then 429."""
    client = limited.test_client()
    codes = [attempt(client, f"user{n}@x.test", "not-the-password").status_code for n in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_unknown_user_and_wrong_password_take_similar_time(app):
    """Both paths verify an argon2 hash, so timing does not reveal whether an account exists."""
    with app.app_context():
        factories.user("t@x.test")
    b = Browser(app.test_client())

    def timed(email):
        start = time.perf_counter()
        assert b.login(email, "not-the-password").status_code == 401
        return time.perf_counter() - start

    timed("t@x.test")
    known = statistics.median(timed("t@x.test") for _ in range(7))
    unknown = statistics.median(timed("nobody@x.test") for _ in range(7))
    assert 0.5 < known / unknown < 2.0, (known, unknown)

"""Configuration read from the environment, with safe defaults for a local run."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'needlework.db'}"


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret(path: Path = INSTANCE_DIR / "secret_key") -> str | None:
    """The key `make run` keeps in ``instance/secret_key``, so that `flask` commands typed after it
    (README: `.venv/bin/flask banks check ...`) sign with the server's key without exporting it."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or instance_secret()
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL") or default_database_url())
    # A pooled connection idle this long is checked before use (quizapp/database.py).
    DATABASE_IDLE_PING_SECONDS = float(os.environ.get("DATABASE_IDLE_PING_SECONDS", "10"))
    REDIS_URL = os.environ.get("REDIS_URL")
    DEBUG = env_flag("FLASK_DEBUG")
    TESTING = False

    # Cookies: HttpOnly and SameSite always; Secure when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE")
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    # How many reverse proxies sit in front (X-Forwarded-For/Proto are trusted only from them).
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))

    WTF_CSRF_TIME_LIMIT = None  # a long quiz must not lose its token; the session bounds it
    RATELIMIT_ENABLED = True
    # Shared by every worker: Redis when configured (several machines), else the app's own database
    # (quizapp/rate_limit_storage.py), so `make run` holds its limits with nothing to install.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "database://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")  # per client address
    # Failed logins on one account from one address (or one browser the owner has used before).
    ACCOUNT_LOGIN_RATE_LIMIT = os.environ.get("ACCOUNT_LOGIN_RATE_LIMIT", "5 per 15 minutes")
    # Failed logins on one account from browsers it has never logged in on, from every address
    # together: slows a distributed guess; it cannot lock the owner out of a browser they use.
    ACCOUNT_UNKNOWN_DEVICE_RATE_LIMIT = os.environ.get("ACCOUNT_UNKNOWN_DEVICE_RATE_LIMIT", "20 per hour")
    # Wrong current passwords on the change-password page, per account (a hijacked session must
    # not be able to guess the real password).
    PASSWORD_CHECK_RATE_LIMIT = os.environ.get("PASSWORD_CHECK_RATE_LIMIT", "5 per 15 minutes")
    # "Forgot password" requests, per address and per e-mail.
    RESET_REQUEST_RATE_LIMIT = os.environ.get("RESET_REQUEST_RATE_LIMIT", "5 per hour")
    DEVICE_COOKIE_DAYS = 365

    # The canonical external address (https://needlework.example.org): QR codes, e-mailed links and
    # exported ids use it, never the request's Host header; requests for any other host are refused.
    PUBLIC_URL = (os.environ.get("PUBLIC_URL") or "").rstrip("/") or None
    EXTRA_TRUSTED_HOSTS = os.environ.get("EXTRA_TRUSTED_HOSTS", "")  # e.g. an internal health-check host
    # Strict-Transport-Security on responses to HTTPS requests (seconds; 0 turns it off).
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))
    # Request bodies: nothing the app accepts is near this (a quiz page posts a few hundred bytes).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(256 * 1024)))
    # Item statistics flag a question only with this many responses (and an interval past the line).
    ITEM_FLAG_MIN_RESPONSES = int(os.environ.get("ITEM_FLAG_MIN_RESPONSES", "50"))
    # A calibrated difficulty steers the draw only with this many responses behind it.
    CALIBRATION_MIN_RESPONSES = int(os.environ.get("CALIBRATION_MIN_RESPONSES", "50"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "needlework@localhost")
    QUESTION_BANK_DIR = os.environ.get(
        "QUESTION_BANK_DIR", str(Path(__file__).resolve().parent.parent / "question_banks")
    )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # The limiter runs in tests too; these limits only bite in the tests that lower them.
    LOGIN_RATE_LIMIT = "1000 per minute"
    ACCOUNT_LOGIN_RATE_LIMIT = "1000 per minute"
    ACCOUNT_UNKNOWN_DEVICE_RATE_LIMIT = "1000 per minute"
    PASSWORD_CHECK_RATE_LIMIT = "1000 per minute"
    RESET_REQUEST_RATE_LIMIT = "1000 per minute"

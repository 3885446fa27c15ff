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


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
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
    # Redis when configured, so that several workers share one count; memory otherwise.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")  # per client address
    ACCOUNT_LOGIN_RATE_LIMIT = os.environ.get("ACCOUNT_LOGIN_RATE_LIMIT", "5 per 15 minutes")  # failures per e-mail
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

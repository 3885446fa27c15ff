"""Browsers an account has logged in on before ("device cookies", OWASP's answer to lockout).

A failed-login limit per account stops a distributed guess, but it also hands anyone who knows
an address a switch that locks its owner out. So the per-account limit counts only browsers the
account has never logged in on; a browser that has (it holds a signed cookie naming the account)
gets a budget of its own. An attacker exhausting the account's budget locks out only unknown
browsers, never the owner's own.
"""

from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from ..services.people.accounts import normalise_email

COOKIE = "nw_device"
SALT = "known-device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def known_device(email: str) -> str | None:
    """This browser's id when it has logged in on ``email`` before; None otherwise."""
    raw = request.cookies.get(COOKIE)
    if not raw or not email:
        return None
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != normalise_email(email):
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) else None


def remember(response: Response, email: str) -> None:
    """Mark this browser as one the account logs in on (after a successful login)."""
    value = _serializer().dumps({"e": normalise_email(email), "n": secrets.token_urlsafe(12)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]) or request.is_secure,
        path="/auth/",
    )

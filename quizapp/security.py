"""Security headers on every response, and the login manager's user loader."""

from __future__ import annotations

import hashlib
import re
from functools import cache

from flask import Flask, Response, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, select
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db, login_manager

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


# C0 controls and DEL. Form fields may hold tab and line breaks (text areas); nothing else may.
CONTROL_IN_FIELD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")


class RefusedInput(BadRequest):
    """A 400 whose message is shown to the person: what was wrong, and that nothing was saved."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


CONTROL_MESSAGE = (
    "What you sent contains a control character (such as NUL) that no field accepts, so nothing "
    "was saved. Type the text again rather than pasting it."
)


def refuse_control_characters() -> None:
    """At the edge, before any view or query: NUL in a value reaches PostgreSQL as an error (500)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and CONTROL_IN_URL.search(value):
            raise RefusedInput(CONTROL_MESSAGE)
    for key, value in request.args.items(multi=True):
        if CONTROL_IN_URL.search(key) or CONTROL_IN_URL.search(value):
            raise RefusedInput(CONTROL_MESSAGE)
    if request.method in ("POST", "PUT", "PATCH"):
        for key, value in request.form.items(multi=True):
            if CONTROL_IN_URL.search(key) or CONTROL_IN_FIELD.search(value):
                raise RefusedInput(CONTROL_MESSAGE)


def _headers(response: Response) -> Response:
    if request.is_secure and current_app.config.get("HSTS_MAX_AGE"):
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={current_app.config['HSTS_MAX_AGE']}; includeSubDomains"
        )
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS, not only when configured.

    Behind a TLS-terminating proxy, set ``TRUSTED_PROXY_HOPS`` so that ``request.is_secure`` reads
    the proxy's X-Forwarded-Proto.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


SESSION_TOKEN = "sid"  # the key of the login-session token in Flask's session


@cache
def _user_by_live_session():
    """Built once: every request loads its user, and a prebuilt statement skips building the query
    and its cache key each time. One query: the user, its clinic (joined) and the live session."""
    from .models import LoginSession, User

    return (
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == bindparam("id"),
            LoginSession.token_hash == bindparam("token_hash"),
            LoginSession.ended_at.is_(None),
        )
    )


@login_manager.user_loader
def load_user(user_id: str):
    """Sessions carry "id:version" and a login-session token; logout ends the token, a password
    change bumps the version: either way an old cookie stops working."""
    from .services.people.login_sessions import hash_token

    token = session.get(SESSION_TOKEN)
    try:
        ident, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    if not isinstance(token, str):
        return None
    user = db.session.execute(
        _user_by_live_session(), {"id": ident, "token_hash": hash_token(token)}
    ).scalar_one_or_none()
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def session_identifier() -> str:
    """What "strong" session protection binds a session to: the address the server saw (after
    ProxyFix, so only as many X-Forwarded-For hops as are configured are trusted) and the browser.

    Flask-Login's own identifier reads X-Forwarded-For whatever the configuration, so a replayed
    cookie with a forged header would pass.
    """
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = session_identifier
    app.before_request(refuse_control_characters)
    app.after_request(_headers)
    app.session_interface = SessionInterface()
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

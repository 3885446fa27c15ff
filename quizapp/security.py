"""Security headers on every response, and the login manager's user loader."""

from __future__ import annotations

from functools import cache

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, select
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db, login_manager

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _headers(response: Response) -> Response:
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


@cache
def _user_by_id():
    """Built once: every request loads its user, and a prebuilt statement skips building the query
    and its cache key each time (``session.get`` does both). The clinic comes along (joined)."""
    from .models import User

    return select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(user_id: str):
    """Sessions carry "id:version"; a password change bumps the version and ends old sessions."""
    try:
        ident, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.execute(_user_by_id(), {"id": ident}).scalar_one_or_none()
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    app.after_request(_headers)
    app.session_interface = SessionInterface()
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

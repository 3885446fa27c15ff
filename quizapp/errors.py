"""Friendly error pages; no stack trace or SQL ever reaches a user."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from .extensions import db, login_manager

log = logging.getLogger("quizapp.errors")

MESSAGES = {
    400: (
        "Bad request",
        "The form could not be accepted. Nothing was changed. Go back, reload the page and try again.",
    ),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "That action is not available here."),
    413: (
        "Too large",
        "What you sent is larger than this site accepts, so nothing was saved. Go back and send less.",
    ),
    429: ("Too many attempts", "Too many requests in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error happened. Your saved answers are safe."),
    503: (
        "Temporarily unavailable",
        "The service is briefly unavailable. Your saved answers are safe; try again in a moment.",
    ),
}


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:16]
    return g.request_id


def render_error(status: int, detail: str | None = None, without_user: bool = False):
    """The error page; ``without_user`` renders it as for a visitor, without loading the user
    (which needs the database: the very thing that may be down)."""
    if without_user:
        g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user cache
    title, message = MESSAGES.get(status, MESSAGES[500])
    return render_template(
        "error.html",
        status=status,
        title=title,
        message=detail or message,
        request_id=request_id(),
        without_user=without_user,
    ), status


def _discard_session() -> None:
    """Roll back, tolerating a connection that is already gone (the usual reason we are here)."""
    try:
        db.session.rollback()
    except OperationalError:
        db.session.invalidate()


def _configure_logging(app: Flask) -> None:
    """One JSON object per line on stderr, so a log shipper can index request ids and paths."""
    if app.testing or log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def init_app(app: Flask) -> None:
    _configure_logging(app)

    @app.after_request
    def tag_response(response):
        response.headers.setdefault("X-Request-ID", request_id())
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400, "Your form expired or was tampered with, so nothing was saved. Reload the page and try again."
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        """A Host outside TRUSTED_HOSTS: no page can be built for it (its URLs would name that host)."""
        return Response("Bad request: this site does not answer to that host name.\n", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code < 400:
            return exc
        shown = getattr(exc, "user_message", None) or (exc.description if exc.code == 429 else None)
        return render_error(exc.code or 500, shown)

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError):
        _discard_session()
        log.error(
            "database unavailable",
            extra={"request_id": request_id(), "path": request.path, "error": exc.__class__.__name__},
        )
        return render_error(503, without_user=True)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        _discard_session()
        log.exception(
            "unhandled error",
            extra={"request_id": request_id(), "path": request.path, "method": request.method},
        )
        return render_error(InternalServerError.code, without_user=True)

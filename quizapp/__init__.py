"""Needlework: dry-needling training and certification."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from .config import INSTANCE_DIR, Config
from .extensions import csrf, db, limiter, login_manager


def create_app(
    config: type[Config] | dict[str, Any] | None = None, *, migrations: bool = True, commands: bool = True
) -> Flask:
    """Build the app. ``config`` is a Config class or a mapping of overrides (tests).

    ``migrations=False`` leaves out Flask-Migrate and ``commands=False`` the ``flask`` commands,
    for the web server (``wsgi.py``): workers never migrate, import banks or calibrate, and not
    loading Alembic, the bank schema and numpy saves each of them about 35 MB.
    """
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.url_map.converters["int"] = DatabaseInt
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _require_secret_key(app)

    from . import clinic_time, database, errors, public_urls, security

    clinic_time.init_app(app)
    database.init_app(app)
    public_urls.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        # Batch mode: SQLite alters tables by copying them.
        Migrate(render_as_batch=True).init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    from . import rate_limit_storage  # noqa: F401  (registers the "database://" limiter storage)

    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .public import bp as public_bp
    from .supervisor import bp as supervisor_bp
    from .trainee import bp as trainee_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(trainee_bp)
    app.register_blueprint(supervisor_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(public_bp)

    if commands:
        from . import cli

        cli.init_app(app)

    @app.get("/")
    def index():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return redirect(url_for(home_endpoint(current_user)))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


class DatabaseInt(IntegerConverter):
    """``<int:...>`` limited to what an INTEGER column holds: larger values are a 404, not an overflow."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def home_endpoint(user) -> str:
    return {"trainee": "trainee.home", "supervisor": "supervisor.home", "admin": "admin.home"}[user.role]


def _require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing:
        app.config["SECRET_KEY"] = "dev-only-insecure-key"
        return
    raise RuntimeError(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random string "
        "(for example: python -c 'import secrets; print(secrets.token_hex(32))'). "
        "`make run` does this for you."
    )

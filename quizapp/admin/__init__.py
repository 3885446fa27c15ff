from flask import Blueprint, abort, flash
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    if not current_user.is_admin:
        abort(404)


def flash_changes(changes: list[str]) -> None:
    """What a settings form saved, or that nothing changed (CSRF failures never reach a view:
    CSRFProtect answers them with 400 for every form)."""
    flash(f"Saved: {', '.join(changes)}." if changes else "Nothing changed.", "info")


from . import clinics, people, routes, standards  # noqa: E402,F401

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.before_request
@login_required
def require_supervisor():
    """Supervisors see their clinic; admins see any clinic through the same pages."""
    if not (current_user.is_supervisor or current_user.is_admin):
        abort(404)


from . import routes, standards  # noqa: E402,F401

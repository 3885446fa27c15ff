from flask import Blueprint, abort, g
from flask_login import current_user, login_required

from ..services.certification import supervised_sessions

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.before_request
@login_required
def require_supervisor():
    """Supervisors see their clinic; admins see any clinic through the same pages."""
    if not (current_user.is_supervisor or current_user.is_admin):
        abort(404)


@bp.app_context_processor
def sessions_waiting() -> dict:
    """The menu's count of logs waiting for sign-off, on every page a supervisor sees: one COUNT per request."""
    if not (current_user.is_authenticated and current_user.is_supervisor):
        return {}
    if "sessions_waiting" not in g:
        g.sessions_waiting = supervised_sessions.pending_count(current_user.clinic_id)
    return {"sessions_waiting": g.sessions_waiting}


from . import routes, standards  # noqa: E402,F401

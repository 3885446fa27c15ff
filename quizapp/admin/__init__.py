from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    if not current_user.is_admin:
        abort(404)


from . import clinics, people, routes, standards  # noqa: E402,F401

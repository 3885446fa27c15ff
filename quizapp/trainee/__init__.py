from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("trainee", __name__, url_prefix="/trainee")


@bp.before_request
@login_required
def require_trainee():
    """Only trainees take quizzes; anyone else sees nothing here."""
    if not current_user.is_trainee:
        abort(404)


from . import practice, routes  # noqa: E402,F401

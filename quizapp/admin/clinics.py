"""Admin pages for a clinic's settings: time zone, the certificates' signatory and logo."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import render_error
from ..extensions import db
from ..models import Clinic
from ..services.people import clinic_settings as settings
from . import bp, flash_changes
from .clinic_forms import ClinicSettingsForm


@bp.route("/clinics/<int:clinic_id>/settings", methods=["GET", "POST"])
def clinic_settings(clinic_id: int):
    clinic = db.get_or_404(Clinic, clinic_id)
    form = ClinicSettingsForm.for_clinic(clinic)
    if form.validate_on_submit():
        try:
            changes = settings.update_settings(current_user, clinic, **form.changes())
        except settings.SettingsError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash_changes(changes)
            return redirect(url_for("admin.clinic_settings", clinic_id=clinic.id))
    return render_template("admin/clinic_settings.html", clinic=clinic, form=form, limits=settings.LOGO_LIMITS)


@bp.get("/clinics/<int:clinic_id>/logo")
def clinic_logo(clinic_id: int):
    """The stored logo, for the settings page (CSP allows images from this site only)."""
    logo = settings.logo_of(clinic_id)
    if logo is None:
        abort(404)
    data, mime = logo
    response = Response(data, mimetype=mime)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge):
    """A body over the app's limit is refused before any view runs; on the settings page, say
    that it was the logo and what the limit is."""
    if request.endpoint == "admin.clinic_settings":
        return render_error(
            413,
            f"The logo file is larger than this site accepts, so nothing was saved. "
            f"Go back and choose a smaller file ({settings.LOGO_LIMITS}).",
        )
    return render_error(413)

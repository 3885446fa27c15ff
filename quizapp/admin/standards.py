"""Adopting a standard-setting recommendation as a clinic's pass mark for a bank."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Bank, Clinic
from ..services.analytics import standard_setting
from ..services.certification import programmes
from ..supervisor.standards_forms import AdoptForm
from . import bp


@bp.post("/clinics/<int:clinic_id>/banks/<slug>/pass-mark")
def adopt_pass_mark(clinic_id: int, slug: str):
    clinic = db.get_or_404(Clinic, clinic_id)
    bank = db.first_or_404(select(Bank).where(Bank.slug == slug))
    form = AdoptForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        adoption = standard_setting.adopt(bank, clinic, current_user, int(form.pass_mark.data))
    except (standard_setting.StandardSettingError, programmes.RuleError) as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Pass mark {adoption.pass_mark}% adopted for {bank.title}; every trainee's status was recomputed.", "info"
        )
    return redirect(url_for("supervisor.standards", clinic=clinic.id, bank=bank.slug))

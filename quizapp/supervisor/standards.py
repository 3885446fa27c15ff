"""Calibration and standard-setting pages: the Rasch calibration of a bank, and modified-Angoff
ratings with their aggregate and recommended pass mark."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Bank
from ..scoping import clinic_in_scope
from ..services.analytics import calibration, standard_setting
from . import bp
from .standards_forms import AdoptForm, rating_form


def _bank(slug: str | None) -> tuple[Bank, list[Bank]]:
    banks = db.session.scalars(select(Bank).order_by(Bank.title)).all()
    if not banks:
        abort(404)
    bank = next((b for b in banks if b.slug == (slug or banks[0].slug)), None)
    if bank is None:
        abort(404)
    return bank, banks


@bp.get("/calibration", endpoint="calibration")
def calibration_page():
    """The latest Rasch calibration: this clinic, or (admins, ?scope=all) every clinic pooled."""
    clinic = clinic_in_scope()
    bank, banks = _bank(request.args.get("bank"))
    everywhere = current_user.is_admin and request.args.get("scope") == "all"
    run = calibration.latest(bank, None if everywhere else clinic.id)
    lines = calibration.item_lines(run) if run else []
    return render_template(
        "supervisor/calibration.html",
        clinic=clinic,
        bank=bank,
        banks=banks,
        run=run,
        lines=lines,
        everywhere=everywhere,
    )


@bp.get("/standards")
def standards():
    """The clinic panel's Angoff ratings of a bank, aggregated, with the recommended pass mark."""
    clinic = clinic_in_scope()
    bank, banks = _bank(request.args.get("bank"))
    result = standard_setting.aggregate(bank, clinic.id)
    return render_template(
        "supervisor/standards.html",
        clinic=clinic,
        bank=bank,
        banks=banks,
        result=result,
        min_raters=standard_setting.MIN_RATERS,
        mine=standard_setting.my_ratings(current_user, bank),
        adoptions=standard_setting.adoptions(bank, clinic.id),
        adopt_form=AdoptForm(data={"pass_mark": result.recommended}),
    )


@bp.route("/standards/<slug>/rate", methods=["GET", "POST"])
def rate(slug: str):
    """The current user's ratings of every live question of the bank."""
    clinic = clinic_in_scope()
    bank, _ = _bank(slug)
    items = standard_setting.live_items(bank)
    form = rating_form(
        items,
        standard_setting.my_ratings(current_user, bank),
        formdata=request.form if request.method == "POST" else None,
    )
    if request.method == "POST" and form.validate_on_submit():
        try:
            saved = standard_setting.rate(current_user, bank, form.ratings())
        except standard_setting.StandardSettingError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{saved} rating{'s' if saved != 1 else ''} saved.", "info")
            return redirect(url_for("supervisor.standards", clinic=clinic.id, bank=bank.slug))
    return render_template("supervisor/standards_rate.html", clinic=clinic, bank=bank, items=items, form=form)

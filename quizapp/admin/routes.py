from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import BODY_REGIONS, Bank, Clinic, Question, User
from ..services.certification import evaluation, programmes
from . import bp
from .forms import programme_form, programme_rules
from .people_forms import ClinicForm


@bp.get("/")
def home():
    clinics = db.session.execute(
        select(Clinic, func.count(User.id)).outerjoin(User).group_by(Clinic.id).order_by(Clinic.name)
    ).all()
    banks = db.session.execute(
        select(Bank, func.count(Question.id))
        .outerjoin(Question, (Question.bank_id == Bank.id) & Question.retired_at.is_(None))
        .group_by(Bank.id)
        .order_by(Bank.title)
    ).all()
    return render_template("admin/home.html", clinics=clinics, banks=banks, clinic_form=ClinicForm())


@bp.route("/clinics/<int:clinic_id>/programme", methods=["GET", "POST"])
def programme(clinic_id: int):
    clinic = db.get_or_404(Clinic, clinic_id)
    prog = evaluation.programme_for(clinic.id)
    banks, subtopics = programmes.rule_choices()
    form = programme_form(prog, banks, subtopics, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            programmes.update_programme(prog, current_user, **programme_rules(form, banks))
        except programmes.RuleError as exc:
            flash(str(exc), "error")
        else:
            flash("Certification rules saved; every trainee's status was recomputed.", "info")
            return redirect(url_for("admin.programme", clinic_id=clinic.id))
    return render_template("admin/programme.html", clinic=clinic, form=form, banks=banks, regions=BODY_REGIONS)

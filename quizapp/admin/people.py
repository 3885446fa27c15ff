"""Admin pages for clinics, people and the audit log."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Clinic, User
from ..services.people import accounts, administration, audit_sentences, audit_viewer, password_resets
from . import bp, flash_changes
from .people_forms import NO_CLINIC, AuditFilterForm, ClinicForm, CreateUserForm, EditUserForm, ResetPasswordForm


def _clinics() -> list[Clinic]:
    return list(db.session.scalars(select(Clinic).order_by(Clinic.name)))


def _clinic_or_none(clinic_id: int) -> Clinic | None:
    if clinic_id == NO_CLINIC:
        return None
    return db.get_or_404(Clinic, clinic_id)


@bp.route("/people", methods=["GET", "POST"])
def people():
    create = CreateUserForm()
    create.set_clinics(_clinics())
    if create.validate_on_submit() and _create_person(create):
        return redirect(url_for("admin.people"))
    return render_template(
        "admin/people.html", people=administration.everyone(), create=create, clinic_form=ClinicForm()
    )


def _create_person(form: CreateUserForm) -> bool:
    """Create the account the form describes; on a refusal, put the reason on the form (False)."""
    try:
        user = accounts.create_user(
            form.email.data,
            form.name.data,
            form.password.data,
            form.role.data,
            _clinic_or_none(form.clinic.data),
            created_by=current_user,
        )
    except accounts.AccountError as exc:
        db.session.rollback()
        form.email.errors.append(str(exc))
        return False
    flash(f"Created {user.role} {user.email}. Give them the temporary password in person.", "info")
    return True


@bp.post("/clinics")
def create_clinic():
    form = ClinicForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        clinic = administration.create_clinic(current_user, form.name.data)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Added clinic {clinic.name}.", "info")
    return redirect(url_for("admin.home"))


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
def person(user_id: int):
    user = db.get_or_404(User, user_id)
    # Only ``data``: with ``obj`` the clinic field would read ``user.clinic`` (an object, not an id)
    # and open on "No clinic", so saving unchanged would fail.
    form = EditUserForm(data=_person_data(user))
    form.set_clinics(_clinics())
    if form.validate_on_submit():
        try:
            changes = administration.update_user(
                current_user,
                user,
                role=form.role.data,
                clinic=_clinic_or_none(form.clinic.data),
                active=form.active.data,
                registration_number=form.registration_number.data,
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash_changes(changes)
            return redirect(url_for("admin.person", user_id=user.id))
    return _person_page(user, form)


def _person_data(user: User) -> dict:
    return {
        "role": user.role,
        "active": user.active,
        "clinic": user.clinic_id or NO_CLINIC,
        "registration_number": user.registration_number,
    }


def _person_page(user: User, form: EditUserForm, temporary_password: str | None = None):
    history = audit_viewer.events(subject_user_id=user.id)
    return render_template(
        "admin/person.html",
        person=user,
        form=form,
        reset_form=ResetPasswordForm(),
        temporary_password=temporary_password,
        history=history,
    )


@bp.post("/people/<int:user_id>/reset-password")
def reset_password(user_id: int):
    """A temporary password, shown once on this page (never flashed into the session cookie)."""
    user = db.get_or_404(User, user_id)
    if not ResetPasswordForm().validate_on_submit():
        abort(400)
    temporary = password_resets.reset_by_admin(current_user, user)
    form = EditUserForm(data=_person_data(user))
    form.set_clinics(_clinics())
    return _person_page(user, form, temporary_password=temporary)


@bp.get("/audit")
def audit():
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400)
    page = audit_viewer.events(
        kind=(form.kind.data or "").strip(), clinic_id=form.clinic.data, page=form.page.data or 1
    )
    return render_template(
        "admin/audit.html", log=page, form=form, clinics=_clinics(), kind_label=audit_sentences.kind_label
    )

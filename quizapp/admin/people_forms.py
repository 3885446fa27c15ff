"""Forms for managing clinics, people and reading the audit log."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..form_validators import CleanName
from ..models import Role
from ..services.people import administration
from ..services.people.accounts import AccountError
from ..services.people.passwords import MIN_LENGTH

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]
NO_CLINIC = 0


class ClinicForm(FlaskForm):
    name = StringField("New clinic name", validators=[DataRequired(), Length(max=120), CleanName("The clinic's name")])
    submit = SubmitField("Add clinic")


class _ClinicChoice(FlaskForm):
    clinic = SelectField("Clinic", coerce=int)

    def set_clinics(self, clinics) -> None:
        self.clinic.choices = [SelectChoice(NO_CLINIC, "No clinic (administrators only)")] + [
            SelectChoice(c.id, c.name) for c in clinics
        ]


class CreateUserForm(_ClinicChoice):
    # Shape only: the address is proven when the person first logs in with it.
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an e-mail address."),
        ],
    )
    name = StringField("Full name", validators=[DataRequired(), Length(max=120), CleanName()])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.TRAINEE.value)
    password = PasswordField(
        f"Temporary password (at least {MIN_LENGTH} characters)",
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=1024)],
    )
    submit = SubmitField("Create account")


class EditUserForm(_ClinicChoice):
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    registration_number = StringField(
        "Professional registration number (optional, printed on certificates)",
        validators=[Optional(), Length(max=administration.REGISTRATION_MAX)],
    )
    submit = SubmitField("Save changes")

    def validate_registration_number(self, field) -> None:
        try:
            field.data = administration.clean_registration_number(field.data)
        except AccountError as exc:
            raise ValidationError(str(exc)) from exc


class AuditFilterForm(FlaskForm):
    """Read from the query string; a GET form has nothing to protect with CSRF."""

    class Meta:
        csrf = False

    kind = StringField("Event", validators=[Optional(), Length(max=64)])
    clinic = IntegerField("Clinic", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100_000)])


class ResetPasswordForm(FlaskForm):
    submit = SubmitField("Reset password")

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..form_validators import Finite
from ..services.certification.evaluation import Status


class ReviewSessionForm(FlaskForm):
    comment = TextAreaField("Comment (required when returning)", validators=[Length(max=2000)])
    sign_off = SubmitField("Sign off")
    send_back = SubmitField("Return to trainee")


class BulkSignOffForm(FlaskForm):
    """The logs ticked on the sessions page. Any ids are accepted here: the service refuses those that are
    not the supervisor's to sign off, and says so. Only the range is checked (a database id fits 32 bits)."""

    sessions = SelectMultipleField("Sessions", coerce=int, validate_choice=False)
    sign_off_selected = SubmitField("Sign off selected sessions")

    def validate_sessions(self, field) -> None:
        if any(not 1 <= i <= 2**31 - 1 for i in field.data or []):
            raise ValidationError("Not a session of this list.")


class AccommodationForm(FlaskForm):
    time_multiplier = DecimalField(
        "Time multiplier", places=2, default=1, validators=[InputRequired(), Finite(), NumberRange(min=1, max=4)]
    )
    extra_attempts = IntegerField("Extra attempts", default=0, validators=[InputRequired(), NumberRange(min=0, max=20)])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Save accommodation")


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Revoke certificate")


class DashboardFilterForm(FlaskForm):
    """Read from the query string; a GET form has nothing to protect with CSRF."""

    class Meta:
        csrf = False

    q = StringField("Search by name or e-mail", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")] + [SelectChoice(s.value, s.value.capitalize()) for s in Status],
        validators=[Optional()],
    )
    inactive = BooleanField("Inactive for 30 days")
    expiring = BooleanField("Expiring only")
    sort = StringField(validators=[Optional(), Length(max=80)])
    desc = BooleanField()
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)])
    submit = SubmitField("Filter")

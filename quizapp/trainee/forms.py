from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import BODY_REGIONS


class StartAttemptForm(FlaskForm):
    submit = SubmitField("Start")


class SubmitAttemptForm(FlaskForm):
    submit = SubmitField("Submit attempt")


class AnswerForm(FlaskForm):
    """One question's answer. Values are display positions (0, 1, …), never choice ids or keys,
    so that the page reveals nothing about which option is which.

    No token field of its own: CSRFProtect has checked the request's token (field or
    X-CSRFToken header) before the view, and this form is built on every answer saved."""

    class Meta:
        csrf = False

    answer = SelectMultipleField(coerce=int, validate_choice=True)
    previous = SubmitField("Previous")
    next = SubmitField("Save and next")
    finish = SubmitField("Save and finish")

    def __init__(self, option_count: int, single: bool, **kwargs):
        super().__init__(**kwargs)
        self.single = single
        self.answer.choices = [(i, str(i)) for i in range(option_count)]

    def validate_answer(self, field):
        if self.single and len(field.data or []) > 1:
            raise ValidationError("Choose one answer.")


class LogSessionForm(FlaskForm):
    session_date = DateField("Date of the session", validators=[DataRequired()])
    region = SelectField(
        "Body region", choices=[SelectChoice(k, v) for k, v in BODY_REGIONS.items()], validators=[DataRequired()]
    )
    muscles = StringField("Muscle(s) needled", validators=[DataRequired(), Length(max=300)])
    safety_notes = TextAreaField(
        "Safety notes (precautions taken, adverse events, what you learned)", validators=[Length(max=2000)]
    )
    not_a_name = BooleanField("None of the words flagged above is a person's name")
    submit = SubmitField("Log session")


class PracticeStartForm(FlaskForm):
    """Where to practise: a bank, optionally one sub-topic, or the due reviews."""

    bank = StringField(validators=[Length(max=64)])
    subtopic = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    review = BooleanField()
    weak = BooleanField()  # only the trainee's weak spots
    submit = SubmitField("Practise")


class PracticeAnswerForm(FlaskForm):
    """Values are display positions, as in attempts: the page never carries the key."""

    answer = SelectMultipleField(coerce=int, validate_choice=True, validators=[DataRequired("Choose an answer.")])
    submit = SubmitField("Check my answer")

    def __init__(self, option_count: int, single: bool, **kwargs):
        super().__init__(**kwargs)
        self.single = single
        self.answer.choices = [SelectChoice(i, str(i)) for i in range(option_count)]

    def validate_answer(self, field):
        if self.single and len(field.data or []) > 1:
            raise ValidationError("Choose one answer.")

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services.people.passwords import MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=1024)])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")]
    )
    submit = SubmitField("Change password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("E-mail me a reset link")


class NewPasswordForm(FlaskForm):
    new = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=1024)])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")]
    )
    submit = SubmitField("Set new password")

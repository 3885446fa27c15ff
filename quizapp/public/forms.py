"""The public certificate check: one box for a code, typed or pasted."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

VERIFY_PATH = "/verify/"


def code_from_text(value: str | None) -> str | None:
    """The code in what was typed or pasted: spaces and line breaks removed (a code has none), and
    a whole pasted link ("https://…/verify/CODE") reduced to its code."""
    if value is None:
        return None
    text = "".join(value.split())
    if VERIFY_PATH in text:
        text = text.rsplit(VERIFY_PATH, 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/")
    return text


class VerifyForm(FlaskForm):
    """Read from the query string (``/verify?code=…``): a GET form has nothing to protect with CSRF."""

    class Meta:
        csrf = False

    code = StringField("Verification code", filters=[code_from_text])

"""Validators shared by the forms of several blueprints."""

from __future__ import annotations

from decimal import Decimal

from wtforms.validators import StopValidation

from .services.people import names


class Finite:
    """Refuse NaN, sNaN and infinities, which a DecimalField parses and range checks cannot compare."""

    def __call__(self, form, field) -> None:
        value = field.data
        if isinstance(value, (Decimal, float)) and not (
            value.is_finite() if isinstance(value, Decimal) else value == value and abs(value) != float("inf")
        ):
            field.errors[:] = []
            raise StopValidation("Enter a number.")


class CleanName:
    """A person's or a clinic's name: NFC, no control or format characters (see ``names.clean``)."""

    def __init__(self, what: str = "The name"):
        self.what = what

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        try:
            field.data = names.clean(field.data, self.what)
        except names.BadName as exc:
            raise StopValidation(str(exc)) from exc

"""Forms of the calibration and standard-setting pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..services.analytics.standard_setting import LiveItem


class AdoptForm(FlaskForm):
    pass_mark = HiddenField(validators=[InputRequired()])  # the recommendation the admin saw
    submit = SubmitField("Adopt this pass mark for the clinic")

    def validate_pass_mark(self, field) -> None:
        if not (field.data or "").isdigit() or not 1 <= int(field.data) <= 100:
            raise ValueError("Not a pass mark.")


class RatingFormBase(FlaskForm):
    submit = SubmitField("Save ratings")

    def ratings(self) -> dict[int, int | None]:
        """The validated ratings by revision id (None: left blank)."""
        return {rid: self[f"r_{rid}"].data for rid in self.revision_ids}


def rating_form(items: list[LiveItem], mine: dict[int, int], formdata=None) -> RatingFormBase:
    """One optional 0-100 field per live question, filled with the rater's ratings."""

    class RatingForm(RatingFormBase):
        pass

    for item in items:
        setattr(
            RatingForm,
            f"r_{item.revision_id}",
            IntegerField(
                f"{item.external_id}: chance a just-competent physio answers right (%)",
                validators=[Optional(), NumberRange(0, 100)],
            ),
        )
    form = RatingForm(formdata=formdata, data={f"r_{rid}": p for rid, p in mine.items()})
    form.revision_ids = [i.revision_id for i in items]
    return form

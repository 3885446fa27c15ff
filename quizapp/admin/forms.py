"""The programme form is built per request: one mark field per bank, one minimum per region."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import BODY_REGIONS, Bank, Programme, Subtopic


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProgrammeFormBase(FlaskForm):
    require_all_banks = BooleanField("Require every bank (the boxes below then set only each bank's mark)")
    validity_months = IntegerField("A pass stays valid for (months)", validators=[InputRequired(), NumberRange(1, 120)])
    sessions_required = IntegerField("Supervised sessions required", validators=[InputRequired(), NumberRange(0, 1000)])
    critical_min = IntegerField(
        "Minimum on critical items (%, blank: each bank's own)", validators=[Optional(), NumberRange(1, 100)]
    )
    critical_subtopics = MultiCheckboxField("Extra critical sub-topics", coerce=int)
    submit = SubmitField("Save rules")


def programme_form(
    programme: Programme, banks: list[Bank], subtopics: list[Subtopic], formdata=None
) -> ProgrammeFormBase:
    class ProgrammeForm(ProgrammeFormBase):
        pass

    marks = {pb.bank_id: pb for pb in programme.banks}
    regions = {r.region: r.minimum for r in programme.regions}
    for bank in banks:
        setattr(
            ProgrammeForm,
            f"bank_{bank.id}_required",
            BooleanField(f"Require {bank.title} (counts when not every bank is required)"),
        )
        setattr(
            ProgrammeForm,
            f"bank_{bank.id}_mark",
            IntegerField(
                f"Mark for {bank.title} (%, blank: {bank.pass_mark})", validators=[Optional(), NumberRange(1, 100)]
            ),
        )
    for region, name in BODY_REGIONS.items():
        setattr(
            ProgrammeForm,
            f"region_{region}",
            IntegerField(f"Minimum sessions: {name}", validators=[Optional(), NumberRange(0, 500)]),
        )
    data = {
        "require_all_banks": programme.require_all_banks,
        "validity_months": programme.validity_months,
        "sessions_required": programme.sessions_required,
        "critical_min": programme.critical_min,
        "critical_subtopics": [c.subtopic_id for c in programme.critical_subtopics],
    }
    for bank in banks:
        data[f"bank_{bank.id}_required"] = bank.id in marks
        data[f"bank_{bank.id}_mark"] = marks[bank.id].min_score if bank.id in marks else None
    for region in BODY_REGIONS:
        data[f"region_{region}"] = regions.get(region)
    form = ProgrammeForm(formdata=formdata, data=data)
    form.critical_subtopics.choices = [(s.id, f"{s.bank.title}: {s.title}") for s in subtopics]
    form.bank_ids = [b.id for b in banks]
    return form


def programme_rules(form: ProgrammeFormBase, banks: list[Bank]) -> dict:
    """The validated form as the keyword arguments of ``programmes.update_programme``."""
    return {
        "require_all_banks": form.require_all_banks.data,
        "bank_marks": {
            b.id: form[f"bank_{b.id}_mark"].data
            for b in banks
            if form[f"bank_{b.id}_required"].data or form[f"bank_{b.id}_mark"].data
        },
        "validity_months": form.validity_months.data,
        "sessions_required": form.sessions_required.data,
        "region_minimums": {r: form[f"region_{r}"].data or 0 for r in BODY_REGIONS},
        "critical_subtopic_ids": set(form.critical_subtopics.data or []),
        "critical_min": form.critical_min.data,
    }

"""The clinic settings form: time zone, the certificates' signatory, and the logo upload."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, SubmitField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from ..clinic_time import zone_names
from ..form_validators import CleanName
from ..services.people import clinic_settings

# The areas of the IANA database's own zone names ("Europe/Dublin"); the rest of zone_names()
# (legacy aliases such as "GB" or "Etc/GMT+5", whose sign is the reverse of what it looks like)
# is not offered, though a clinic already set to one keeps it.
ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def zone_choices(current: str | None) -> dict[str, list[tuple[str, str]]]:
    """Time zones grouped by area for the select (option groups); ``current`` is always offered."""
    groups: dict[str, list[tuple[str, str]]] = {"Universal": [("UTC", "UTC")]}
    for name in zone_names():
        area, _, place = name.partition("/")
        if area in ZONE_AREAS and place:
            groups.setdefault(area, []).append((name, name))
    if current and all(current != value for options in groups.values() for value, _ in options):
        groups["Universal"].append((current, current))
    return groups


class ClinicSettingsForm(FlaskForm):
    timezone = SelectField("Time zone", validators=[InputRequired()])
    signatory_name = StringField(
        "Signatory's name (the clinic's lead, printed on certificates)",
        validators=[Optional(), Length(max=120), CleanName("The signatory's name")],
    )
    signatory_title = StringField(
        "Signatory's title (e.g. Clinical lead)",
        validators=[Optional(), Length(max=120), CleanName("The signatory's title")],
    )
    logo = FileField(f"Logo ({clinic_settings.LOGO_LIMITS})")
    remove_logo = BooleanField("Remove the logo")
    submit = SubmitField("Save settings")

    checked_logo: clinic_settings.Logo | None = None

    @classmethod
    def for_clinic(cls, clinic) -> ClinicSettingsForm:
        """The form opened on the clinic's current settings (posted data, when there is any, wins)."""
        form = cls(
            data={
                "timezone": clinic.timezone,
                "signatory_name": clinic.signatory_name,
                "signatory_title": clinic.signatory_title,
            }
        )
        form.set_zones(clinic.timezone)
        return form

    def changes(self) -> dict:
        """The validated form as the keyword arguments of ``clinic_settings.update_settings``."""
        return {
            "timezone": self.timezone.data,
            "signatory_name": self.signatory_name.data,
            "signatory_title": self.signatory_title.data,
            "logo": self.checked_logo,
            "remove_logo": self.remove_logo.data,
        }

    def set_zones(self, current: str | None) -> None:
        self.timezone.choices = zone_choices(current)

    def validate_logo(self, field) -> None:
        """Pillow's verdict (``clinic_settings.check_logo``) on the uploaded bytes; no file, no logo."""
        if field.data is None:
            return
        data = field.data.stream.read(clinic_settings.LOGO_MAX_BYTES + 1)
        try:
            self.checked_logo = clinic_settings.check_logo(data)
        except clinic_settings.SettingsError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_remove_logo(self, field) -> None:
        if field.data and self.logo.data is not None:
            raise ValidationError("Either upload a new logo or remove the current one, not both.")

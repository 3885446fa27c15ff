"""A clinic's own settings, set by an administrator: its time zone, and what its certificates
carry (the signatory, who is the clinic's lead, and the clinic's logo).

The logo is checked here and nowhere else: Pillow must read the bytes, whole, as a PNG or a JPEG
(whatever the file is called), within ``LOGO_MAX_BYTES`` and ``LOGO_MAX_SIDE``. The size in
pixels is read from the header before anything is decoded, so a small file that would expand to
a huge image (a "decompression bomb") is refused without being decoded. The bytes are stored as
uploaded; the admin page serves them with their checked type and ``nosniff``, and the PDF draws
them through Pillow.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select

from ...clinic_time import zone_names
from ...extensions import db
from ...models import Clinic, User
from . import audit_trail, names

LOGO_MAX_BYTES = 200_000  # "200 KB"; a logo needs far less (600 pixels across is plenty for print)
LOGO_MAX_SIDE = 2000  # pixels, either side
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg"}  # MPO: phone cameras' JPEG
LOGO_LIMITS = f"PNG or JPEG, at most {LOGO_MAX_BYTES // 1000} KB and {LOGO_MAX_SIDE} pixels on either side"


class SettingsError(Exception):
    """A setting was refused; the message is written for the administrator."""


@dataclass(frozen=True)
class Logo:
    """A logo that passed ``check_logo``."""

    data: bytes
    mime: str
    width: int
    height: int

    def describe(self) -> str:
        kind = "PNG" if self.mime == "image/png" else "JPEG"
        return f"{kind}, {self.width}×{self.height} pixels, {max(1, round(len(self.data) / 1000))} KB"


def check_logo(data: bytes) -> Logo:
    """The logo in ``data``; raises ``SettingsError`` saying why it cannot be used.

    Refused: an empty file, more than ``LOGO_MAX_BYTES``, anything Pillow does not read as PNG or
    JPEG (the file name plays no part), more than ``LOGO_MAX_SIDE`` pixels on a side, and an image
    that is damaged or cut short.
    """
    if not data:
        raise SettingsError("The file is empty. Choose the logo file again.")
    if len(data) > LOGO_MAX_BYTES:
        raise SettingsError(
            f"The file is larger than {LOGO_MAX_BYTES // 1000} KB. Save the logo smaller "
            "(600 pixels across is plenty for a certificate) and upload it again."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as probe:
                kind, (width, height) = probe.format, probe.size
                if max(width, height) > LOGO_MAX_SIDE:
                    raise SettingsError(
                        f"The image is {width}×{height} pixels; the limit is {LOGO_MAX_SIDE} on either side. "
                        "Save it smaller and upload it again."
                    )
                probe.verify()
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                image.load()  # decodes every pixel: a file cut short fails here
    except SettingsError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise SettingsError(f"The image has too many pixels; the limit is {LOGO_MAX_SIDE} on either side.") from exc
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, struct.error, ...) on bad input
        raise SettingsError(
            "This file is not a PNG or JPEG image that can be read (it may be another format, or damaged). "
            "Export the logo as PNG or JPEG and upload it again."
        ) from exc
    if kind not in LOGO_FORMATS:
        raise SettingsError("The logo must be a PNG or JPEG image.")
    return Logo(data, LOGO_FORMATS[kind], width, height)


def _optional_text(value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return names.clean(value, what)
    except names.BadName as exc:
        raise SettingsError(str(exc)) from exc


def update_settings(
    admin: User,
    clinic: Clinic,
    *,
    timezone: str,
    signatory_name: str | None,
    signatory_title: str | None,
    logo: Logo | None = None,
    remove_logo: bool = False,
) -> list[str]:
    """Save the clinic's settings; returns what changed, in words (also the audit event's details).

    A new ``logo`` replaces the old one; ``remove_logo`` without a new logo removes it. Raises
    ``SettingsError`` for an unknown time zone or a signatory with control or format characters
    (they would print on certificates).
    """
    if timezone not in zone_names():
        raise SettingsError(f"{timezone!r} is not a time zone this server knows; choose one from the list.")
    name = _optional_text(signatory_name, "The signatory's name")
    title = _optional_text(signatory_title, "The signatory's title")
    changes: list[str] = []
    if clinic.timezone != timezone:
        changes.append(f"time zone {clinic.timezone} → {timezone}")
        clinic.timezone = timezone
    if clinic.signatory_name != name:
        changes.append(f"signatory {name}" if name else "signatory removed")
        clinic.signatory_name = name
    if clinic.signatory_title != title:
        changes.append(f"signatory's title {title}" if title else "signatory's title removed")
        clinic.signatory_title = title
    had_logo = clinic.logo_mime is not None  # without loading the deferred image
    if logo is not None:
        changes.append(f"logo {'replaced' if had_logo else 'added'} ({logo.describe()})")
        clinic.logo, clinic.logo_mime = logo.data, logo.mime
    elif remove_logo and had_logo:
        changes.append("logo removed")
        clinic.logo, clinic.logo_mime = None, None
    if changes:
        audit_trail.record("clinic.settings_changed", actor=admin, clinic_id=clinic.id, changes=changes)
        db.session.commit()
    return changes


def logo_of(clinic_id: int) -> tuple[bytes, str] | None:
    """The clinic's logo and its type, or None (the deferred column is read only here)."""
    row = db.session.execute(select(Clinic.logo, Clinic.logo_mime).where(Clinic.id == clinic_id)).one_or_none()
    if row is None or row.logo is None or row.logo_mime is None:
        return None
    return row.logo, row.logo_mime

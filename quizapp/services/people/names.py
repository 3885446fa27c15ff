"""People's and clinics' names: what may be stored and shown on certificates and the public page.

Names are normalised to NFC (one spelling for "é") and may not hold control or format
characters: a U+202E right-to-left override or a zero-width joiner in a name would reverse or
hide text on the public verify page and in the certificate PDF.
"""

from __future__ import annotations

import unicodedata

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class BadName(ValueError):
    """The message says what is wrong, for the form or the command line."""


def clean(text: str, what: str = "A name") -> str:
    """``text`` normalised and trimmed; raises ``BadName`` for control, format or unassigned characters."""
    value = unicodedata.normalize("NFC", text).strip()
    if not value:
        raise BadName(f"{what} cannot be empty.")
    bad = sorted({f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in FORBIDDEN_CATEGORIES})
    if bad:
        raise BadName(f"{what} contains invisible or control characters ({', '.join(bad)}); type it again.")
    return " ".join(value.split())

"""Convert between bank files and Moodle XML or GIFT, choosing the format by file extension."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from ..bank_files import read_bank_file
from . import Imported, bank_writer, gift, moodle_xml

FORMATS = {".xml": moodle_xml, ".gift": gift, ".txt": gift}


class ConversionError(Exception):
    pass


def export_file(source: Path, target: Path) -> None:
    bank_file = read_bank_file(source)
    if not bank_file.ok:
        raise ConversionError("\n".join(str(p) for p in bank_file.errors) or f"{source}: not a valid bank")
    module = FORMATS.get(target.suffix.lower())
    if module is None:
        raise ConversionError(f"{target}: unknown format; use .xml (Moodle XML) or .gift")
    target.write_text(module.export_bank(bank_file.bank), encoding="utf-8")


def import_file(source: Path, target: Path, skip_unsupported: bool = False, defaults: dict | None = None) -> Imported:
    module = FORMATS.get(source.suffix.lower())
    if module is None:
        raise ConversionError(f"{source}: unknown format; use .xml (Moodle XML) or .gift")
    try:
        imported = module.import_bank(source.read_text(encoding="utf-8"), skip_unsupported, defaults)
    except (DefusedXmlException, ParseError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConversionError(f"{source}: cannot read this file: {exc}") from exc
    target.write_text(bank_writer.dump(imported.data), encoding="utf-8")
    return imported

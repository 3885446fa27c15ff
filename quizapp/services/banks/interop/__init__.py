"""Question-bank interchange: Moodle XML and GIFT in and out, and writing bank files.

Our YAML bank files stay the source of truth. Export writes what Moodle understands natively
and embeds the fields it has no place for (difficulty, structured references, review dates)
as a small JSON comment, so that export → import → export is lossless. Importing a foreign
file maps what it can and leaves the rest for the author: the written bank file then fails
``flask banks check`` with precise messages (for example, a missing reference) until fixed.
"""

from __future__ import annotations

import dataclasses
import re

from ..bank_schema import Bank, Question

SUPPORTED = ("single", "multiple", "true_false")


@dataclasses.dataclass(frozen=True)
class Skipped:
    name: str
    kind: str

    def __str__(self) -> str:
        return f"skipped {self.name!r}: {self.kind} questions are not supported"


class UnsupportedQuestions(Exception):
    """The file holds question types we cannot represent; nothing was written."""

    def __init__(self, skipped: list[Skipped]):
        self.skipped = skipped
        super().__init__("; ".join(str(s) for s in skipped))


@dataclasses.dataclass
class Imported:
    data: dict  # a bank as plain data, ready for bank_writer.dump
    skipped: list[Skipped]


def assemble(
    header: dict,
    defaults: dict,
    subtopics: list[dict],
    cases: dict[str, dict],
    questions: list[dict],
    skipped: list[Skipped],
    skip_unsupported: bool,
) -> Imported:
    """Put a read file together as bank data; unsupported questions stop it unless skipped on purpose."""
    if skipped and not skip_unsupported:
        raise UnsupportedQuestions(skipped)
    data = {
        "id": defaults.get("id") or slugify(header.get("title", "imported-bank")),
        "topic": defaults.get("topic", "imported"),
        "title": header.get("title") or defaults.get("title", "Imported bank"),
        "version": 1,
        "pass_mark": 80,
        "questions_per_attempt": 20,
        "time_limit_minutes": 30,
        **header,
        "subtopics": subtopics,
    }
    if cases and not data.get("cases"):
        data["cases"] = list(cases.values())
    data["questions"] = questions
    return Imported(data, skipped)


def slugify(text: str, fallback: str = "item") -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")
    return slug or fallback


def question_meta(bank: Bank, q: Question) -> dict:
    """What the formats cannot say natively, kept so a round trip loses nothing."""
    case = next((c for c in bank.cases if c.id == q.case), None)
    meta = q.model_dump(mode="json", exclude={"stem", "choices", "correct", "answer", "rationale", "type", "subtopic"})
    meta["choice_ids"] = [c.id for c in q.choices or []]
    if case is not None:
        meta["case"] = case.model_dump(mode="json")
    return {k: v for k, v in meta.items() if v not in (None, False, [])}


def references_html(q: Question) -> str:
    items = "".join(
        f"<li>{esc(r.authors)} ({r.year}). {esc(r.title)}. <em>{esc(r.source)}</em>.</li>" for r in q.references
    )
    return f'<ul class="references">{items}</ul>'


def esc(text: str) -> str:
    """Escape text for an HTML field (Moodle and GIFT both carry HTML)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_html(text: str) -> str:
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<(br|/p|/li)\s*/?>", "\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'")
    text = text.replace("&nbsp;", " ").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", "\n".join(line.strip() for line in text.splitlines())).strip()

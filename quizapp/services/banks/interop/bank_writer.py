"""Write bank data as a readable YAML bank file, in the field order authors expect."""

from __future__ import annotations

import io

from ruamel.yaml import YAML

HEADER_ORDER = (
    "id", "topic", "title", "version", "description", "pass_mark", "questions_per_attempt", "time_limit_minutes",
    "attempt_limit", "cooldown_minutes", "critical_min", "subtopics", "cases", "questions",
)  # fmt: skip
QUESTION_ORDER = (
    "id", "type", "subtopic", "difficulty", "case", "critical", "jurisdiction", "as_of", "stem", "choices", "correct",
    "answer", "rationale", "references", "reviewed", "correction", "correction_reason",
)  # fmt: skip


def _ordered(data: dict, order: tuple[str, ...]) -> dict:
    out = {k: data[k] for k in order if k in data and data[k] is not None}
    out.update({k: v for k, v in data.items() if k not in out and v is not None})
    return out


def dump(data: dict) -> str:
    bank = _ordered(data, HEADER_ORDER)
    bank["questions"] = [_ordered(q, QUESTION_ORDER) for q in data.get("questions", [])]
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 100
    out = io.StringIO()
    out.write("# Converted by `flask banks convert`; run `flask banks check` and complete what it reports.\n")
    yaml.dump(bank, out)
    return out.getvalue()

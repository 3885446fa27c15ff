"""GIFT (Moodle's plain-text format): export a bank, import one (multiple choice and true/false).

Metadata GIFT has no place for travels in ``// needlework...`` comment lines, which GIFT
readers ignore, so export → import → export is lossless for our own banks.
"""

from __future__ import annotations

import json
import re

from ..bank_schema import Bank, Question
from . import Imported, Skipped, assemble, esc, question_meta, references_html, slugify, strip_html

SPECIAL = "~=#{}:\\"
BANK_TAG, SUB_TAG, Q_TAG = "// needlework-bank: ", "// needlework-subtopic: ", "// needlework: "


def _g(text: str) -> str:
    """Escape GIFT control characters, and keep each question on its own lines."""
    out = "".join("\\" + ch if ch in SPECIAL else ch for ch in text)
    return out.replace("\n", " ")


def _weight(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text


def export_bank(bank: Bank) -> str:
    header = bank.model_dump(mode="json", exclude={"questions", "subtopics"})
    lines = [BANK_TAG + json.dumps(header, sort_keys=True), ""]
    for sub in bank.subtopics:
        lines += [SUB_TAG + json.dumps(sub.model_dump(mode="json"), sort_keys=True)]
        lines += [f"$CATEGORY: $course$/top/{bank.title}/{sub.title}", ""]
        for q in (q for q in bank.questions if q.subtopic == sub.id):
            lines += _question(bank, q) + [""]
    return "\n".join(lines)


def _question(bank: Bank, q: Question) -> list[str]:
    case = next((c for c in bank.cases if c.id == q.case), None)
    stem = (f"<p>{esc(case.text)}</p>" if case else "") + f"<p>{esc(q.stem)}</p>"
    general = f"<p>{esc(q.rationale)}</p>{references_html(q)}"
    lines = [Q_TAG + json.dumps(question_meta(bank, q), sort_keys=True), f"::{_g(q.id)}::[html]{_g(stem)}{{"]
    if q.type == "true_false":
        lines.append(("TRUE" if q.answer else "FALSE") + "####" + _g(general))
    else:
        correct = set(q.correct or [])
        n = len(correct)
        for c in q.choices or []:
            feedback = f"#{_g(esc(c.feedback))}" if c.feedback else ""
            if q.type == "single":
                lines.append(("=" if c.id in correct else "~") + _g(esc(c.text)) + feedback)
            else:
                weight = 100 / n if c.id in correct else -100 / n
                lines.append(f"~%{_weight(weight)}%{_g(esc(c.text))}{feedback}")
        lines.append("####" + _g(general))
    lines.append("}")
    return lines


# ---------------------------------------------------------------------------------------------
def _split_unescaped(text: str, seps: str) -> list[tuple[str, str]]:
    """Split at unescaped separator characters; returns (separator, piece) pairs."""
    parts, current, sep, i = [], [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in seps:
            parts.append((sep, "".join(current)))
            current, sep = [], ch
        else:
            current.append(ch)
        i += 1
    parts.append((sep, "".join(current)))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def _find_unescaped(text: str, ch: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ch:
            return i
        i += 1
    return -1


def import_bank(text: str, skip_unsupported: bool = False, defaults: dict | None = None) -> Imported:
    header: dict = {}
    subtopics: list[dict] = []
    cases: dict[str, dict] = {}
    questions: list[dict] = []
    skipped: list[Skipped] = []
    pending_meta: dict = {}
    pending_sub: dict | None = None
    current_sub: str | None = None
    block: list[str] = []

    def flush():
        nonlocal block, pending_meta, current_sub
        if not block:
            return
        raw = " ".join(block)
        block = []
        meta, pending_meta = pending_meta, {}
        if current_sub is None:
            subtopics.append({"id": "general", "title": "General"})
            current_sub = "general"
        result = _parse_question(raw, meta, current_sub, cases)
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            questions.append(result)

    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(BANK_TAG.strip()):
            header = json.loads(stripped.split(":", 1)[1])
        elif stripped.startswith(SUB_TAG.strip()):
            pending_sub = json.loads(stripped.split(":", 1)[1])
        elif stripped.startswith(Q_TAG.strip()):
            flush()
            pending_meta = json.loads(stripped.split(":", 1)[1])
        elif stripped.startswith("//"):
            continue
        elif stripped.startswith("$CATEGORY:"):
            flush()
            path = [p for p in stripped.split(":", 1)[1].strip().split("/") if p and p not in ("$course$", "top")]
            sub = pending_sub or {
                "id": slugify(path[-1] if path else "general"),
                "title": path[-1] if path else "General",
            }
            if not header and len(path) >= 2:
                header = {"title": path[0]}
            pending_sub = None
            subtopics.append(sub)
            current_sub = sub["id"]
        elif not stripped:
            flush()
        else:
            block.append(stripped)
    flush()
    return assemble(header, defaults or {}, subtopics, cases, questions, skipped, skip_unsupported)


def _parse_question(raw: str, meta: dict, subtopic: str, cases: dict[str, dict]) -> dict | Skipped:
    """One GIFT question as a bank question dict, or ``Skipped`` for a type banks cannot hold."""
    title, raw = _title_and_text(raw)
    name = title or raw[:40]
    open_at = _find_unescaped(raw, "{")
    if open_at < 0:
        return Skipped(name, "description")
    close_at = _find_unescaped(raw, "}", open_at)
    if close_at < 0 or raw[close_at + 1 :].strip():
        return Skipped(name, "missing word")
    stem_html = raw[:open_at]
    body, general = _answer_block(raw[open_at + 1 : close_at])
    unsupported = _unsupported_kind(body)
    if unsupported:
        return Skipped(name, unsupported)
    paragraphs = [strip_html(_unescape(p)) for p in stem_html.split("</p>") if strip_html(_unescape(p))]
    case = meta.pop("case", None)
    if case:
        cases[case["id"]] = case
        paragraphs = paragraphs[1:] if len(paragraphs) > 1 else paragraphs
        meta["case"] = case["id"]
    q: dict = {
        "id": meta.pop("id", None) or slugify(title or stem_html[:40]),
        "type": "single",
        "subtopic": subtopic,
        "difficulty": meta.pop("difficulty", "medium"),
        "stem": "\n".join(paragraphs),
    }
    choice_ids = meta.pop("choice_ids", [])
    head = _split_unescaped(body, "#")[0][1].strip().upper()
    if head in ("T", "TRUE", "F", "FALSE"):
        q["type"], q["answer"] = "true_false", head.startswith("T")
    else:
        tokens = [(sep, piece) for sep, piece in _split_unescaped(body, "=~") if sep]
        if not tokens or not any(sep == "~" for sep, _ in tokens):
            return Skipped(name, "short answer")
        q.update(_choices(tokens, choice_ids))
    q["rationale"] = strip_html(_unescape(general).split('<ul class="references">', 1)[0])
    q.update(meta)
    return q


def _title_and_text(raw: str) -> tuple[str, str]:
    """Split off the ``::title::`` and the ``[format]`` marker."""
    title = ""
    if raw.startswith("::"):
        end = raw.find("::", 2)
        title, raw = _unescape(raw[2:end]), raw[end + 2 :].strip()
    if raw.startswith("[html]"):
        raw = raw[6:]
    elif raw.startswith("[") and "]" in raw:
        raw = raw[raw.index("]") + 1 :]
    return title, raw


def _answer_block(block: str) -> tuple[str, str]:
    """The answers inside ``{...}`` and the general feedback after ``####``."""
    body, general = block.strip(), ""
    general_at = body.find("####")
    if general_at >= 0:
        body, general = body[:general_at].strip(), body[general_at + 4 :]
    return body, general


def _unsupported_kind(body: str) -> str | None:
    if not body:
        return "essay"
    if body.startswith("#"):
        return "numerical"
    if "->" in body:
        return "matching"
    return None


def _choices(tokens: list[tuple[str, str]], choice_ids: list[str]) -> dict:
    """Choices and keys from ``=right`` / ``~wrong`` / ``~%50%partly`` tokens; any weight makes it select-all."""
    weighted = any(piece.strip().startswith("%") for _, piece in tokens)
    out: dict = {"type": "multiple" if weighted else "single", "choices": [], "correct": []}
    for i, (sep, piece) in enumerate(tokens):
        weight = 100.0 if sep == "=" else 0.0
        piece = piece.strip()
        if piece.startswith("%"):
            end = piece.find("%", 1)
            weight, piece = float(piece[1:end]), piece[end + 1 :]
        pieces = _split_unescaped(piece, "#")
        feedback = strip_html(_unescape("#".join(p for _, p in pieces[1:])))
        cid = choice_ids[i] if i < len(choice_ids) else ("abcdefgh"[i] if i < 8 else f"c{i}")
        choice = {"id": cid, "text": strip_html(_unescape(pieces[0][1]))}
        if feedback:
            choice["feedback"] = feedback
        out["choices"].append(choice)
        if weight > 0:
            out["correct"].append(cid)
    return out

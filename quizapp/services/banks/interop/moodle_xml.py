"""Moodle XML: export a bank, import one (multichoice and truefalse questions).

Multiple-response questions use Moodle's own right-minus-wrong fractions (each correct option
100/n, each wrong option -100/n), which Moodle floors at zero per question, as we do.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET

from ..bank_schema import Bank, Question
from . import Imported, Skipped, assemble, esc, question_meta, references_html, slugify, strip_html

META_PREFIX = "needlework:"
NATIVE = {"multichoice", "truefalse", "category"}


def _fraction(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = value
    return el


def _category(root: ET.Element, path: str, info: str = "", idnumber: str = "") -> None:
    q = ET.SubElement(root, "question", {"type": "category"})
    _text(q, "category", path, fmt=None)
    _text(q, "info", info)
    ET.SubElement(q, "idnumber").text = idnumber


def export_bank(bank: Bank) -> str:
    root = ET.Element("quiz")
    header = bank.model_dump(mode="json", exclude={"questions", "subtopics"})
    _category(root, f"$course$/top/{bank.title}", META_PREFIX + json.dumps(header, sort_keys=True), bank.id)
    for sub in bank.subtopics:
        info = META_PREFIX + json.dumps(sub.model_dump(mode="json"), sort_keys=True)
        _category(root, f"$course$/top/{bank.title}/{sub.title}", info, sub.id)
        for q in (q for q in bank.questions if q.subtopic == sub.id):
            _question(root, bank, q)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _question(root: ET.Element, bank: Bank, q: Question) -> None:
    kind = "truefalse" if q.type == "true_false" else "multichoice"
    el = ET.SubElement(root, "question", {"type": kind})
    _text(el, "name", q.id, fmt=None)
    case = next((c for c in bank.cases if c.id == q.case), None)
    stem = f"<p>{esc(case.text)}</p>" if case else ""
    _text(el, "questiontext", stem + f"<p>{esc(q.stem)}</p>")
    meta = META_PREFIX + json.dumps(question_meta(bank, q), sort_keys=True)
    _text(el, "generalfeedback", f"<p>{esc(q.rationale)}</p>{references_html(q)}<!--{meta}-->")
    ET.SubElement(el, "defaultgrade").text = "1"
    ET.SubElement(el, "penalty").text = "0"
    ET.SubElement(el, "hidden").text = "0"
    ET.SubElement(el, "idnumber").text = q.id
    if kind == "truefalse":
        for value in (True, False):
            answer = ET.SubElement(
                el, "answer", {"fraction": "100" if value == q.answer else "0", "format": "moodle_auto_format"}
            )
            ET.SubElement(answer, "text").text = "true" if value else "false"
            _text(answer, "feedback", "")
    else:
        ET.SubElement(el, "single").text = "true" if q.type == "single" else "false"
        ET.SubElement(el, "shuffleanswers").text = "true"
        ET.SubElement(el, "answernumbering").text = "none"
        correct = set(q.correct or [])
        n = len(correct)
        for choice in q.choices or []:
            fraction = 100 / n if choice.id in correct else (0 if q.type == "single" else -100 / n)
            answer = ET.SubElement(el, "answer", {"fraction": _fraction(fraction), "format": "html"})
            ET.SubElement(answer, "text").text = esc(choice.text)
            _text(answer, "feedback", esc(choice.feedback or ""))
    tags = ET.SubElement(el, "tags")
    ET.SubElement(ET.SubElement(tags, "tag"), "text").text = f"difficulty:{q.difficulty}"


def _meta(text: str | None) -> dict:
    if text and META_PREFIX in text:
        raw = text.split(META_PREFIX, 1)[1]
        raw = raw.split("-->", 1)[0]
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return {}


def _find_text(el: ET.Element, path: str) -> str:
    found = el.find(path)
    return found.text or "" if found is not None else ""


def import_bank(xml_text: str, skip_unsupported: bool = False, defaults: dict | None = None) -> Imported:
    """Read Moodle XML into bank data. Unsupported types stop the import unless ``skip_unsupported``."""
    root = SafeET.fromstring(xml_text)
    header: dict = {}
    subtopics: list[dict] = []
    cases: dict[str, dict] = {}
    questions: list[dict] = []
    skipped: list[Skipped] = []
    current_sub = None
    for el in root.findall("question"):
        kind = el.get("type", "")
        name = _find_text(el, "name/text").strip() or "(unnamed)"
        if kind == "category":
            path = _find_text(el, "category/text")
            meta = _meta(_find_text(el, "info/text"))
            parts = [p for p in path.split("/") if p and p not in ("$course$", "$system$", "$module$", "top")]
            if meta.get("title") and "subtopics" not in meta and "pass_mark" in meta:
                header = meta
            elif len(parts) >= 2 or meta.get("id"):
                sub = meta or {"id": slugify(parts[-1]), "title": parts[-1]}
                subtopics.append(sub)
                current_sub = sub["id"]
            elif parts and not header:
                header = {"title": parts[-1]}
            continue
        if kind not in NATIVE or (kind == "multichoice" and not el.findall("answer")):
            skipped.append(Skipped(name, kind))
            continue
        if current_sub is None:
            subtopics.append({"id": "general", "title": "General"})
            current_sub = "general"
        questions.append(_question_data(el, kind, name, current_sub, cases))
    return assemble(header, defaults or {}, subtopics, cases, questions, skipped, skip_unsupported)


def _question_data(el: ET.Element, kind: str, name: str, subtopic: str, cases: dict[str, dict]) -> dict:
    general = _find_text(el, "generalfeedback/text")
    meta = _meta(general)
    stem_html = _find_text(el, "questiontext/text")
    paragraphs = [strip_html(p) for p in stem_html.split("</p>") if strip_html(p)]
    case = meta.pop("case", None)
    if case:
        cases[case["id"]] = case
        paragraphs = paragraphs[1:] if len(paragraphs) > 1 else paragraphs
        meta["case"] = case["id"]
    rationale_html = general.split('<ul class="references">', 1)[0]
    q: dict = {
        "id": meta.pop("id", None) or slugify(_find_text(el, "idnumber") or name),
        "type": "single",
        "subtopic": subtopic,
        "difficulty": meta.pop("difficulty", None) or _tag_difficulty(el),
        "stem": "\n".join(paragraphs),
    }
    choice_ids = meta.pop("choice_ids", [])
    answers = el.findall("answer")
    if kind == "truefalse":
        q["type"] = "true_false"
        q["answer"] = next(
            (_find_text(a, "text").strip().lower() == "true" for a in answers if float(a.get("fraction", 0)) > 0), True
        )
    else:
        single = _find_text(el, "single").strip().lower() != "false"
        q["type"] = "single" if single else "multiple"
        q["choices"], q["correct"] = [], []
        for i, a in enumerate(answers):
            cid = choice_ids[i] if i < len(choice_ids) else "abcdefgh"[i] if i < 8 else f"c{i}"
            choice = {"id": cid, "text": strip_html(_find_text(a, "text"))}
            feedback = strip_html(_find_text(a, "feedback/text"))
            if feedback:
                choice["feedback"] = feedback
            q["choices"].append(choice)
            if float(a.get("fraction", 0)) > 0:
                q["correct"].append(cid)
    q["rationale"] = strip_html(rationale_html)
    q.update(meta)  # references, reviewed, as_of, jurisdiction, critical, correction...
    return q


def _tag_difficulty(el: ET.Element) -> str:
    for tag in el.findall("tags/tag/text"):
        if (tag.text or "").startswith("difficulty:"):
            return tag.text.split(":", 1)[1]
    return "medium"

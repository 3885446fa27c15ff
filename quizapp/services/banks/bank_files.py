"""Read and validate question-bank files without touching the database.

Every problem is reported as a ``Problem`` naming the file, the 1-based line and the
field path, so that an author can jump straight to it. All problems in a file are
collected in one pass: structure is checked per question, then cross-field rules.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from . import item_writing
from .bank_schema import Bank, BankHeader, Choice, Question

REVIEW_MAX_AGE_DAYS = 730  # 24 months: older reviews are flagged for re-checking.
TRUE_FALSE_CHOICES = (("true", "True"), ("false", "False"))

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class BankFile:
    """The outcome of reading one file: a valid ``bank``, or ``errors``, and ``warnings``."""

    path: Path
    bank: Bank | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    cues: item_writing.Review | None = None  # cue figures of a structurally valid bank
    cues_strict: bool = False  # the bank reports cues as errors (``item_writing: errors``)

    @property
    def ok(self) -> bool:
        return not self.errors and self.bank is not None


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(root: object, path: Path_) -> int:
    """The 1-based line of the deepest node of ``path`` that exists in the YAML tree."""
    node, line = root, 1
    if isinstance(node, (CommentedMap, CommentedSeq)):
        line = node.lc.line + 1
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _describe(error: dict) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling against question_banks/README.md)"
    if kind == "literal_error":
        return f"{msg.replace('Input should be', 'expected')}, got {error.get('input')!r}"
    return msg


class _Collector:
    def __init__(self, path: Path, root: object):
        self.file, self.root = str(path), root
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: Path_, message: str) -> None:
        self.errors.append(Problem(self.file, line_of(self.root, path), format_path(path), message))

    def warn(self, path: Path_, message: str) -> None:
        self.warnings.append(Problem(self.file, line_of(self.root, path), format_path(path), message))

    def validation(self, prefix: Path_, exc: ValidationError) -> None:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            self.error(prefix + loc, _describe(err))


def read_bank_file(path: str | Path, today: dt.date | None = None) -> BankFile:
    """Parse and validate one bank file; never raises for bad content."""
    path = Path(path)
    result = BankFile(path)
    try:
        root = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        result.errors.append(Problem(str(path), line, "", f"not valid YAML: {exc.problem or exc}"))
        return result
    except (OSError, UnicodeDecodeError) as exc:
        result.errors.append(Problem(str(path), 1, "", f"cannot read file: {exc}"))
        return result
    if not isinstance(root, CommentedMap):
        result.errors.append(Problem(str(path), 1, "", "expected a mapping with bank fields and questions"))
        return result

    found = _Collector(path, root)
    header_data = {k: v for k, v in root.items() if k != "questions"}
    header = None
    try:
        header = BankHeader.model_validate(header_data)
    except ValidationError as exc:
        found.validation((), exc)

    raw_questions = root.get("questions")
    questions: list[tuple[int, Question]] = []
    loose: list[tuple[int, Question]] = []  # failed structure; still checked across fields
    if raw_questions is None:
        found.error(("questions",), "required field is missing")
    elif not isinstance(raw_questions, list) or not raw_questions:
        found.error(("questions",), "expected a non-empty list of questions")
    else:
        for index, raw in enumerate(raw_questions):
            try:
                questions.append((index, Question.model_validate(raw)))
            except ValidationError as exc:
                found.validation(("questions", index), exc)
                loose.append((index, _loose_question(raw)))

    semantic_errors(found, header, sorted(questions + loose, key=lambda pair: pair[0]))
    governance_warnings(found, questions, today or dt.date.today())

    if not found.errors and header is not None:
        bank = Bank.model_validate({**header.model_dump(), "questions": [q for _, q in questions]})
        result.cues, result.cues_strict = item_writing.review(bank), bank.item_writing == "errors"
        report_cues(found, result.cues, strict=bank.item_writing == "errors")
        if not found.errors:
            result.bank = bank
    result.errors, result.warnings = found.errors, found.warnings
    return result


def report_cues(found: _Collector, cues: item_writing.Review, strict: bool) -> None:
    """Item flaws at their question; a figure over its limit at ``questions``, each feeding item noted.

    ``strict`` banks (ours, and any bank that sets ``item_writing: errors``) fail on them;
    others are warned, so a clinic's own bank imports while its author fixes the wording.
    """
    report = found.error if strict else found.warn
    for flaw in cues.flaws:
        report(("questions", flaw.index) + flaw.path, f"item-writing: {flaw.message}")
    for figure in cues.failed_figures:
        report(("questions",), f"item-writing: {figure}")
        for index in figure.items:
            found.warn(("questions", index), f"item-writing: feeds '{figure.name}'")


def _loose_question(raw: object) -> Question:
    """A best-effort, unvalidated view of a question so that cross-field rules still run.

    Fields of the wrong type are dropped (their structural error is already reported).
    """
    raw = raw if isinstance(raw, dict) else {}
    fields = {name: None for name in Question.model_fields}
    fields.update({"correction": False, "critical": False})
    for name in ("id", "type", "subtopic", "case", "correction_reason"):
        if isinstance(raw.get(name), str):
            fields[name] = raw[name]
    if isinstance(raw.get("answer"), bool):
        fields["answer"] = raw["answer"]
    if isinstance(raw.get("correct"), list) and all(isinstance(k, str) for k in raw["correct"]):
        fields["correct"] = list(raw["correct"])
    choices = raw.get("choices")
    if isinstance(choices, list):
        fields["choices"] = [
            Choice.model_construct(id=str(c.get("id")), text=str(c.get("text", "")), feedback=c.get("feedback"))
            for c in choices
            if isinstance(c, dict)
        ]
    return Question.model_construct(**fields)


def _duplicates(items: Iterable[tuple[Path_, str]]) -> Iterable[tuple[Path_, str]]:
    seen: set[str] = set()
    for path, value in items:
        if value in seen:
            yield path, value
        seen.add(value)


def semantic_errors(found: _Collector, header: BankHeader | None, questions: list[tuple[int, Question]]) -> None:
    """Rules across fields: ids unique and resolvable, answer keys consistent."""
    subtopics = {s.id for s in header.subtopics} if header else None
    cases = {c.id for c in header.cases} if header else None
    if header:
        for path, value in _duplicates((("subtopics", i, "id"), s.id) for i, s in enumerate(header.subtopics)):
            found.error(path, f"duplicate sub-topic id {value!r}")
        for path, value in _duplicates((("cases", i, "id"), c.id) for i, c in enumerate(header.cases)):
            found.error(path, f"duplicate case id {value!r}")
    for path, value in _duplicates((("questions", i, "id"), q.id) for i, q in questions if q.id):
        found.error(path, f"duplicate question id {value!r}: ids must be unique and never reused")

    for i, q in questions:
        at = ("questions", i)
        if subtopics is not None and q.subtopic is not None and q.subtopic not in subtopics:
            found.error(at + ("subtopic",), f"unknown sub-topic {q.subtopic!r}; expected one of {sorted(subtopics)}")
        if q.case is not None and cases is not None and q.case not in cases:
            found.error(at + ("case",), f"unknown case {q.case!r}; declare it under 'cases'")
        if q.correction and not q.correction_reason:
            found.error(at + ("correction_reason",), "a correction needs a reason (what was wrong)")
        if q.type == "true_false":
            _check_true_false(found, at, q)
        elif q.type in ("single", "multiple"):
            _check_choices(found, at, q)


def _check_true_false(found: _Collector, at: Path_, q: Question) -> None:
    if q.answer is None:
        found.error(
            at + ("answer",), "missing correct answer: true_false questions need 'answer: true' or 'answer: false'"
        )
    if q.choices is not None:
        found.error(at + ("choices",), "true_false questions take no choices (True/False are implied)")
    if q.correct is not None:
        found.error(at + ("correct",), "true_false questions use 'answer', not 'correct'")


def _check_choices(found: _Collector, at: Path_, q: Question) -> None:
    if q.answer is not None:
        found.error(at + ("answer",), f"'answer' is for true_false questions; {q.type} questions use 'correct'")
    if not q.choices:
        found.error(at + ("choices",), f"{q.type} questions need choices")
        return
    minimum = 3 if q.type == "single" else 4
    if len(q.choices) < minimum:
        found.error(at + ("choices",), f"{q.type} questions need at least {minimum} choices, got {len(q.choices)}")
    for path, value in _duplicates((at + ("choices", j, "id"), c.id) for j, c in enumerate(q.choices)):
        found.error(path, f"duplicate choice id {value!r}")
    for path, _text in _duplicates(
        (at + ("choices", j, "text"), " ".join(c.text.lower().split())) for j, c in enumerate(q.choices)
    ):
        found.error(path, "two identical choices: each option must say something different")
    ids = {c.id for c in q.choices}
    if not q.correct:
        found.error(at + ("correct",), "missing correct answer: list the id(s) of the correct choice(s)")
        return
    for j, key in enumerate(q.correct):
        if key not in ids:
            found.error(at + ("correct", j), f"correct id {key!r} is not among the choices {sorted(ids)}")
    if len(set(q.correct)) != len(q.correct):
        found.error(at + ("correct",), "a correct id is listed twice")
    if q.type == "single" and len(q.correct) != 1:
        found.error(at + ("correct",), f"single questions have exactly one correct choice, got {len(q.correct)}")
    if q.type == "multiple" and len(set(q.correct)) >= len(q.choices):
        found.error(at + ("correct",), "multiple questions need at least one wrong choice")
    for j, c in enumerate(q.choices):
        if c.id not in q.correct and not c.feedback:
            found.error(at + ("choices", j, "feedback"), "a wrong option needs feedback explaining why it is wrong")


def governance_warnings(found: _Collector, questions: list[tuple[int, Question]], today: dt.date) -> None:
    """Warnings that never fail a check: stale reviews, undated time- or place-bound claims."""
    for i, q in questions:
        at = ("questions", i)
        if (today - q.reviewed).days > REVIEW_MAX_AGE_DAYS:
            found.warn(at + ("reviewed",), f"last reviewed {q.reviewed.isoformat()}, more than 24 months ago")
        if q.jurisdiction and q.as_of is None:
            found.warn(at + ("as_of",), f"claim tied to {q.jurisdiction!r} has no 'as_of' date")
        if q.reviewed > today:
            found.warn(at + ("reviewed",), "review date is in the future")


def bank_paths(target: str | Path) -> list[Path]:
    target = Path(target)
    if target.is_dir():
        return sorted([*target.glob("*.yaml"), *target.glob("*.yml")])
    return [target]


def read_bank_files(target: str | Path, today: dt.date | None = None) -> list[BankFile]:
    """Read every bank under ``target``; bank ids must also be unique across files."""
    results = [read_bank_file(p, today) for p in bank_paths(target)]
    owners: dict[str, Path] = {}
    for r in results:
        if r.bank is None:
            continue
        if r.bank.id in owners:
            r.errors.append(Problem(str(r.path), 1, "id", f"bank id {r.bank.id!r} is also used by {owners[r.bank.id]}"))
            r.bank = None
        else:
            owners[r.bank.id] = r.path
    return results


if __name__ == "__main__":  # a dev aid; the supported entry point is `flask banks check`
    files = read_bank_files(sys.argv[1] if len(sys.argv) > 1 else "question_banks")
    for f in files:
        for p in f.errors:
            print("error:", p)
        for p in f.warnings:
            print("warning:", p)
        if f.bank:
            print(f"ok: {f.path} ({len(f.bank.questions)} questions)")
    sys.exit(1 if any(f.errors for f in files) else 0)

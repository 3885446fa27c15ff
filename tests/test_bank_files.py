"""`flask banks check`: every fault in a bank file is named with file, line and field."""

from pathlib import Path

import pytest

from quizapp.services.banks.bank_files import read_bank_file, read_bank_files

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "tiny_bank.yaml").read_text()


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    assert old in GOOD, f"fixture text not found: {old!r}"
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD.replace(old, new, count))
    return path


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not in file")


# (name, old text, new text, expected field path, text on the expected line, message fragment)
FAULTS = [
    (
        "missing correct answer",
        "    correct: [a, b]\n",
        "",
        "questions[1].correct",
        "id: t-multi",
        "missing correct answer",
    ),
    (
        "duplicate question id",
        "id: t-extra",
        "id: t-single",
        "questions[5].id",
        "- id: t-single",
        "duplicate question id",
    ),
    (
        "correct id not among choices",
        "correct: [b]",
        "correct: [q]",
        "questions[3].correct[0]",
        "correct: [q]",
        "not among the choices",
    ),
    (
        "two identical choices",
        "text: Suture needle",
        "text: solid  filiform needle",
        "questions[0].choices[2].text",
        "solid  filiform",
        "identical choices",
    ),
    (
        "unknown type",
        "type: multiple",
        "type: matching",
        "questions[1].type",
        "type: matching",
        "expected 'single', 'multiple' or 'true_false'",
    ),
    ("reference without a year", "year: 1994, ", "", "questions[2].references[0].year", "Hong CZ", "missing"),
    (
        "unknown sub-topic",
        "subtopic: general\n    difficulty: hard",
        "subtopic: generl\n    difficulty: hard",
        "questions[5].subtopic",
        "subtopic: generl",
        "unknown sub-topic",
    ),
    (
        "unknown case",
        "case: case-runner\n    stem: Which",
        "case: case-walker\n    stem: Which",
        "questions[3].case",
        "case: case-walker",
        "unknown case",
    ),
    (
        "misspelt field",
        "rationale: Dry needling uses",
        "rationle: Dry needling uses",
        "questions[0].rationle",
        "rationle:",
        "unknown field",
    ),
    (
        "wrong option without feedback",
        "        feedback: Suture needles close wounds.\n",
        "",
        "questions[0].choices[2].feedback",
        "      - id: c",
        "needs feedback",
    ),
    (
        "single with two correct",
        "correct: [a]\n    rationale: Dry",
        "correct: [a, b]\n    rationale: Dry",
        "questions[0].correct",
        "correct: [a, b]",
        "exactly one correct",
    ),
    (
        "true_false without answer",
        "    answer: true\n    rationale: In Hong",
        "    rationale: In Hong",
        "questions[2].answer",
        "id: t-tf",
        "answer: true",
    ),
    (
        "bad difficulty",
        "difficulty: hard",
        "difficulty: brutal",
        "questions[5].difficulty",
        "difficulty: brutal",
        "expected 'easy', 'medium' or 'hard'",
    ),
    (
        "pass mark out of range",
        "pass_mark: 60",
        "pass_mark: 160",
        "pass_mark",
        "pass_mark: 160",
        "less than or equal to 100",
    ),
    (
        "correction without reason",
        "    reviewed: 2026-11-25\n  - id: t-extra",
        "    reviewed: 2026-11-25\n    correction: true\n  - id: t-extra",
        "questions[4].correction_reason",
        "id: t-case-2",
        "needs a reason",
    ),
    (
        "rationale too short",
        "rationale: Travell used the term to distinguish needling without injectate from injection.",
        "rationale: Travell.",
        "questions[5].rationale",
        "rationale: Travell.",
        "at least 40 characters",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "field", "line_text", "message"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_is_reported_with_file_line_and_field(tmp_path, name, old, new, field, line_text, message):
    """One deliberate fault: reported once, at the right line, on the right field, saying what is expected."""
    path = broken(tmp_path, old, new)
    result = read_bank_file(path)
    assert result.bank is None and not result.ok
    matches = [e for e in result.errors if e.field == field]
    assert matches, f"no error on {field}; got {[str(e) for e in result.errors]}"
    error = matches[0]
    assert error.file == str(path)
    assert message in error.message
    nth = 2 if name == "duplicate question id" else 1
    assert error.line == line_of(path, line_text, nth)
    assert str(path) in str(error) and f":{error.line}:" in str(error)


def test_all_errors_in_a_file_are_reported_at_once(tmp_path):
    """Several faults in one file: every one is reported, not just the first."""
    text = (
        GOOD.replace("correct: [b]", "correct: [q]")
        .replace("type: multiple", "type: matching")
        .replace("year: 1994, ", "")
    )
    path = tmp_path / "many.yaml"
    path.write_text(text)
    fields = {e.field for e in read_bank_file(path).errors}
    assert {"questions[3].correct[0]", "questions[1].type", "questions[2].references[0].year"} <= fields


def test_invalid_yaml_names_the_line(tmp_path):
    """A YAML syntax error is reported with its line, not a traceback."""
    path = tmp_path / "syntax.yaml"
    path.write_text("id: x\ntitle: [unclosed\nquestions: []\n")
    errors = read_bank_file(path).errors
    assert len(errors) == 1 and "not valid YAML" in errors[0].message and errors[0].line in (2, 3, 4)


def test_duplicate_bank_ids_across_files(tmp_path):
    """Two files may not claim the same bank id."""
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    results = read_bank_files(tmp_path)
    assert results[0].ok and not results[1].ok
    assert "also used by" in results[1].errors[0].message


def test_governance_warnings_do_not_fail(tmp_path):
    """A stale review date and an undated jurisdiction claim warn but still pass."""
    text = GOOD.replace(
        "    reviewed: 2026-11-25\n  - id: t-extra",
        "    reviewed: 2020-01-01\n    jurisdiction: Colorado\n  - id: t-extra",
    )
    path = tmp_path / "stale.yaml"
    path.write_text(text)
    result = read_bank_file(path)
    assert result.ok
    messages = " ".join(w.message for w in result.warnings)
    assert "more than 24 months ago" in messages and "no 'as_of' date" in messages


def test_check_command_exit_status(app, tmp_path):
    """`flask banks check` exits 0 on good files and 1 on any error, printing file:line."""
    runner = app.test_cli_runner()
    good = runner.invoke(args=["banks", "check", str(DATA / "tiny_bank.yaml")])
    assert good.exit_code == 0 and "0 error(s)" in good.output
    path = broken(tmp_path, "correct: [b]", "correct: [q]")
    bad = runner.invoke(args=["banks", "check", str(path)])
    assert bad.exit_code == 1
    assert f"{path}:{line_of(path, 'correct: [q]')}: questions[3].correct[0]" in bad.output

"""Item-writing checks: each cue of ../shared/domain/item-writing.md is caught in a small broken bank."""

from __future__ import annotations

import copy

import pytest
from ruamel.yaml import YAML

from quizapp.services.banks.bank_files import read_bank_file

REFERENCE = [{"authors": "Haladyna TM", "year": 2002, "title": "Item-writing guidelines", "source": "AME 15:309-333"}]
RATIONALE = "A rationale long enough to teach something about the point being tested here."
FILLERS = ["apple", "birch", "cedar", "dune", "ember", "fjord", "grove", "heath", "inlet", "jetty", "knoll", "loch"]


def single(i: int, key: int) -> dict:
    """Four options of different lengths; option 2 is the longest and option 3 the shortest."""
    texts = [
        f"{FILLERS[i]} first choice",
        f"{FILLERS[i]} second choice here",
        f"{FILLERS[i]} third and longest choice text",
        f"{FILLERS[i]} 4th",
    ]
    return {
        "id": f"s-{i}",
        "type": "single",
        "subtopic": "general",
        "difficulty": "medium",
        "stem": f"Scenario number {i}: which option does the guideline support?",
        "choices": [
            {"id": "abcd"[j], "text": t, **({} if j == key else {"feedback": "Why this one is wrong."})}
            for j, t in enumerate(texts)
        ],
        "correct": ["abcd"[key]],
        "rationale": RATIONALE,
        "references": REFERENCE,
        "reviewed": "2026-11-30",
    }


def true_false(i: int, answer: bool, stem: str | None = None) -> dict:
    return {
        "id": f"tf-{i}",
        "type": "true_false",
        "subtopic": "general",
        "difficulty": "easy",
        "stem": stem or f"Statement number {i} about needling practice.",
        "answer": answer,
        "rationale": RATIONALE,
        "references": REFERENCE,
        "reviewed": "2026-11-30",
    }


def multiple(i: int, keys: list[int]) -> dict:
    texts = [f"m{i} one", f"m{i} two two", f"m{i} three three three", f"m{i} four", f"m{i} five five"]
    return {
        "id": f"m-{i}",
        "type": "multiple",
        "subtopic": "general",
        "difficulty": "hard",
        "stem": f"Case number {i}: which of these are appropriate?",
        "choices": [
            {"id": "abcde"[j], "text": t, **({} if j in keys else {"feedback": "Why this one is wrong."})}
            for j, t in enumerate(texts)
        ],
        "correct": ["abcde"[k] for k in keys],
        "rationale": RATIONALE,
        "references": REFERENCE,
        "reviewed": "2026-11-30",
    }


def clean_questions() -> list[dict]:
    """A bank without cues: keys rotate over positions, half the statements are false, key counts vary."""
    return (
        [single(i, key=i % 4) for i in range(12)]
        + [true_false(i, answer=i % 2 == 0) for i in range(12)]
        + [multiple(i, keys) for i, keys in enumerate([[0], [0, 1], [1, 3, 4], [0, 1, 3, 4], [3, 4], [0, 3, 4]])]
    )


def bank_file(tmp_path, questions: list[dict], mode: str = "errors"):
    data = {
        "id": "cues",
        "topic": "safety",
        "title": "Cue test bank",
        "version": 1,
        "pass_mark": 80,
        "questions_per_attempt": 10,
        "time_limit_minutes": 20,
        "item_writing": mode,
        "subtopics": [{"id": "general", "title": "General"}],
        "questions": questions,
    }
    path = tmp_path / "cues.yaml"
    with path.open("w") as fh:
        YAML().dump(data, fh)
    return path, read_bank_file(path)


def messages(result) -> list[str]:
    return [str(p) for p in result.errors]


def test_a_bank_without_cues_passes_every_check(tmp_path):
    """The clean bank has no item flaw and every figure is within its limit."""
    _, result = bank_file(tmp_path, clean_questions())
    assert result.ok, messages(result)
    assert all(f.ok is not False for f in result.cues.figures), [str(f) for f in result.cues.figures]
    assert sum(f.ok is True for f in result.cues.figures) >= 8, "enough items for the main figures to count"


def _line_of(path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "change, field, message",
    [
        (lambda q: q[0]["choices"][1].update(text="All of the above"), "choices[1].text", "all/none of the above"),
        (lambda q: q[0]["choices"][1].update(text="Both a and c"), "choices[1].text", "both A and B"),
        (
            lambda q: q[1]["choices"][1].update(text="birch the key, a very long and carefully qualified option text"),
            "correct",
            "much the longest",
        ),
        (lambda q: q[1].update(stem="The guideline names an"), "stem", "does not fit option"),
        (lambda q: q[0].update(stem="Which of these is not a contraindication?"), "stem", "negative stem"),
        (lambda q: q[24].update(stem="Which two of these are appropriate?"), "stem", "says how many"),
        (lambda q: q[24].update(stem="Which apply? Select all that apply."), "stem", "Select all that apply"),
    ],
)
def test_each_item_flaw_is_an_error_at_its_question(tmp_path, change, field, message):
    """An item flaw fails a strict bank, naming the file, the question's line and the field."""
    questions = clean_questions()
    change(questions)
    path, result = bank_file(tmp_path, questions)
    found = [p for p in result.errors if message in p.message]
    assert found, messages(result)
    assert found[0].field.endswith(field) and found[0].file == str(path)
    assert found[0].line > 1


def test_a_capitalised_negative_stem_is_allowed(tmp_path):
    """ "Which is NOT ..." is the accepted form of a negative stem."""
    questions = clean_questions()
    questions[0]["stem"] = "Which of these is NOT a contraindication?"
    _, result = bank_file(tmp_path, questions)
    assert result.ok, messages(result)


def _figure_error(result, name: str) -> list:
    return [p for p in result.errors if name in p.message]


@pytest.mark.parametrize(
    "change, figure",
    [
        (lambda q: [q[i].update(single(i, key=2)) for i in range(12)], "key is the longest option"),
        (lambda q: [q[i].update(single(i, key=3)) for i in range(12)], "key is the shortest option"),
        (lambda q: [q[12 + i].update(answer=True) for i in range(12)], "keyed True"),
        (lambda q: [q[24 + i].update(multiple(i, [0, 1, 3])) for i in range(6)], "commonest key count"),
        (lambda q: [q[24 + i].update(multiple(i, [2])) for i in range(6)], "the longest option is a key"),
        (
            lambda q: [q[i]["choices"][i % 4].update(text=f"{FILLERS[i]} unclear: refer") for i in range(12)],
            "most cautious wording",
        ),
    ],
)
def test_each_bank_figure_over_its_limit_is_an_error(tmp_path, change, figure):
    """A cue that repeats through the bank fails it, and each question that feeds it is named."""
    questions = clean_questions()
    change(questions)
    _, result = bank_file(tmp_path, questions)
    assert _figure_error(result, figure), messages(result)
    assert any("feeds 'single" in str(w) or "feeds '" in str(w) for w in result.warnings)
    assert result.bank is None, "a strict bank with a cue cannot be imported"


def test_absolutes_only_in_distractors_and_hedges_only_in_keys(tmp_path):
    """ "Always"/"never" in wrong options and "may"/"can" in right ones are caught as figures."""
    questions = clean_questions()
    for i in range(12):
        key = i % 4
        for j, choice in enumerate(questions[i]["choices"]):
            choice["text"] += " may help" if j == key else " always"
    _, result = bank_file(tmp_path, questions)
    assert _figure_error(result, "absolute word that are keys"), messages(result)
    assert _figure_error(result, "hedged options that are keys"), messages(result)


def test_true_false_absolutes_keyed_false(tmp_path):
    """Statements with "always" or "never" that are all false give the answer away."""
    questions = clean_questions()
    for i in range(6):
        questions[12 + i] = true_false(i, answer=False, stem=f"Needling site {FILLERS[i]} is always safe.")
        questions[18 + i] = true_false(6 + i, answer=True, stem=f"Needling site {FILLERS[6 + i]} is safe.")
    _, result = bank_file(tmp_path, questions)
    assert _figure_error(result, "statements with an absolute keyed False"), messages(result)


def test_stem_echo_and_convergence(tmp_path):
    """A key that repeats the stem's words, or that the distractors are variations of, is a cue."""
    echo = clean_questions()
    for i in range(12):
        key = i % 4
        echo[i]["choices"][key]["text"] = f"{FILLERS[i]} guideline support scenario"
    _, result = bank_file(tmp_path, echo)
    assert _figure_error(result, "key echoes the stem most"), messages(result)

    converge = clean_questions()
    for i in range(12):
        key = i % 4
        for j, choice in enumerate(converge[i]["choices"]):
            words = (
                ["red", "green", "blue"] if j == key else [["red", "green"], ["green", "blue"], ["red", "blue"]][j % 3]
            )
            choice["text"] = f"{' '.join(words)} {FILLERS[j]}{i}x"
    _, result = bank_file(tmp_path, converge)
    assert _figure_error(result, "most like the other options"), messages(result)


def test_a_clinic_bank_gets_warnings_and_still_imports(tmp_path):
    """Without ``item_writing: errors`` the same cues are warnings: the bank stays valid."""
    questions = clean_questions()
    questions[0]["choices"][1]["text"] = "None of the above"
    for i in range(12):
        questions[12 + i]["answer"] = True
    _, result = bank_file(tmp_path, copy.deepcopy(questions), mode="warnings")
    assert result.ok
    text = [str(w) for w in result.warnings]
    assert any("all/none of the above" in t for t in text) and any("keyed True" in t for t in text)


def test_check_command_prints_the_cue_figures(app, tmp_path):
    """`flask banks check` prints each bank's figures and fails on a strict bank over a limit."""
    questions = clean_questions()
    for i in range(12):
        questions[12 + i]["answer"] = True
    path, _ = bank_file(tmp_path, questions)
    result = app.test_cli_runner().invoke(args=["banks", "check", str(path)])
    assert result.exit_code == 1
    assert "true/false: keyed True: 12/12 = 100 %" in result.output
    assert "single: key is the longest option: 3/12 = 25 %" in result.output

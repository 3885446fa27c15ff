"""Moodle XML and GIFT: lossless round trips of our four banks, and clear refusals for what we cannot import."""

from pathlib import Path

import pytest

from quizapp.services.banks import interop
from quizapp.services.banks.bank_files import read_bank_file
from quizapp.services.banks.interop import bank_writer, gift, moodle_xml

BANKS = sorted((Path(__file__).resolve().parent.parent / "question_banks").glob("*.yaml"))
FORMATS = {"moodle": moodle_xml, "gift": gift}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("path", BANKS, ids=lambda p: p.stem)
def test_round_trip_is_lossless(tmp_path, path, fmt):
    """export → import → export gives the same file, and the imported bank equals the original."""
    module = FORMATS[fmt]
    original = read_bank_file(path).bank
    exported = module.export_bank(original)
    imported = module.import_bank(exported)
    assert not imported.skipped
    written = tmp_path / f"{path.stem}.yaml"
    written.write_text(bank_writer.dump(imported.data))
    again = read_bank_file(written)
    assert again.ok, [str(p) for p in again.errors]
    assert again.bank == original
    assert module.export_bank(again.bank) == exported


def test_moodle_multiple_response_uses_right_minus_wrong_fractions():
    bank = read_bank_file(Path(__file__).parent / "data" / "tiny_bank.yaml").bank
    xml = moodle_xml.export_bank(bank)
    block = xml.split("<text>t-multi</text>", 1)[1].split("</question>", 1)[0]
    assert block.count('fraction="50"') == 2 and block.count('fraction="-50"') == 2
    assert "<single>false</single>" in block


FOREIGN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Clinic quiz/Needling basics</text></category></question>
  <question type="multichoice">
    <name><text>Needle type</text></name>
    <questiontext format="html"><text><![CDATA[<p>Which needle is used for dry needling?</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Dry needling uses solid filiform needles and injects nothing at all.</p>]]></text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>Solid filiform</text></answer>
    <answer fraction="0" format="html"><text>Hypodermic</text><feedback format="html"><text>That injects.</text></feedback></answer>
    <answer fraction="0" format="html"><text>Suture</text><feedback format="html"><text>That sews.</text></feedback></answer>
  </question>
  <question type="shortanswer"><name><text>Capital</text></name><questiontext format="html"><text>x</text></questiontext></question>
  <question type="essay"><name><text>Reflect on practice</text></name><questiontext format="html"><text>x</text></questiontext></question>
  <question type="matching"><name><text>Pairs</text></name><questiontext format="html"><text>x</text></questiontext></question>
</quiz>
"""

FOREIGN_GIFT = """// A clinic's own GIFT file
$CATEGORY: $course$/top/Clinic quiz/Needling basics

::Needle type::Which needle is used for dry needling?{=Solid filiform ~Hypodermic#That injects. ~Suture#That sews.}

::Essay::Reflect on your first session.{}

::Number::How many needles did you use?{#2:1}

::Short::Capital of France?{=Paris =paris}

::Match::Match them.{=a -> b =c -> d}

::Soreness::Post-needling soreness is common.{TRUE}
"""


@pytest.mark.parametrize("module,text,expected", [
    (moodle_xml, FOREIGN_XML, {("Capital", "shortanswer"), ("Reflect on practice", "essay"), ("Pairs", "matching")}),
    (gift, FOREIGN_GIFT, {("Essay", "essay"), ("Number", "numerical"), ("Short", "short answer"), ("Match", "matching")}),
])  # fmt: skip
def test_unsupported_types_are_named_and_block_the_import_unless_skipped(module, text, expected):
    with pytest.raises(interop.UnsupportedQuestions) as refused:
        module.import_bank(text)
    assert {(s.name, s.kind) for s in refused.value.skipped} == expected
    imported = module.import_bank(text, skip_unsupported=True, defaults={"id": "clinic-quiz", "topic": "safety"})
    assert {(s.name, s.kind) for s in imported.skipped} == expected
    first = imported.data["questions"][0]
    assert first["stem"] == "Which needle is used for dry needling?"
    assert first["correct"] == ["a"] and first["choices"][1]["feedback"] == "That injects."
    assert imported.data["subtopics"] == [{"id": "needling-basics", "title": "Needling basics"}]


def test_an_imported_foreign_bank_is_checked_and_the_gaps_are_reported(tmp_path, app):
    """Moodle has no references: the written file names each missing one by file, line and field."""
    source = tmp_path / "clinic.xml"
    source.write_text(FOREIGN_XML)
    target = tmp_path / "clinic.yaml"
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["banks", "convert", str(source), str(target)])
    assert refused.exit_code == 1 and not target.exists()
    assert "unsupported: skipped 'Capital': shortanswer" in refused.output
    done = runner.invoke(args=["banks", "convert", str(source), str(target), "--skip-unsupported", "--topic", "safety"])
    assert done.exit_code == 0, done.output
    assert "wrote" in done.output and target.exists()
    problems = [str(p) for p in read_bank_file(target).errors]
    assert any("questions[0].references" in p and "clinic.yaml:" in p for p in problems), problems
    assert any("questions[0].reviewed" in p for p in problems), problems


def test_hostile_xml_is_refused(tmp_path, app):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><quiz>&b;</quiz>')
    result = app.test_cli_runner().invoke(args=["banks", "convert", str(bomb), str(tmp_path / "out.yaml")])
    assert result.exit_code == 1 and "cannot read this file" in result.output
    assert not (tmp_path / "out.yaml").exists()

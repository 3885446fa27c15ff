"""xAPI export: every statement validates against the statement structure, and the numbers match the attempt."""

import datetime as dt
import json
from pathlib import Path

import jsonschema
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Attempt, utcnow
from quizapp.services.analytics import xapi

from . import factories
from .conftest import Browser
from .test_certification import pass_bank

SCHEMA = json.loads((Path(__file__).parent / "data" / "xapi_statement.schema.json").read_text())


def _world(app, tmp_path):
    with app.app_context():
        bank = factories.tiny_bank(tmp_path)
        right = factories.user("right@x.test", name="Rhea Right")
        wrong = factories.user("wrong@x.test", name="Will Wrong")
        factories.user("else@x.test", clinic_name="South Clinic")
        factories.user("sup@x.test", role="supervisor")
        factories.user("sup2@x.test", role="supervisor", clinic_name="South Clinic")
        when = utcnow() - dt.timedelta(hours=2)
        a = pass_bank(right, bank, when)
        b = pass_bank(wrong, bank, when + dt.timedelta(minutes=5), right=False)
        return a.id, b.id


def test_statements_validate_and_carry_the_results(app, tmp_path):
    passed_id, failed_id = _world(app, tmp_path)
    with app.app_context():
        attempt = db.session.get(Attempt, failed_id)
        statements = xapi.attempt_statements(attempt, "https://clinic.example/")
        for s in statements:
            jsonschema.validate(s, SCHEMA)
        answered = [s for s in statements if s["verb"]["id"].endswith("/answered")]
        completed = [s for s in statements if s["verb"]["id"].endswith("/completed")]
        assert len(answered) == len(attempt.questions) and len(completed) == 1
        assert all(s["result"]["success"] is False and s["result"]["score"]["scaled"] == 0 for s in answered)
        done = completed[0]["result"]
        assert done["success"] is False and done["completion"] is True
        assert done["score"]["raw"] == attempt.score and done["score"]["scaled"] == round(attempt.score / 100, 4)
        assert {s["context"]["registration"] for s in statements} == {completed[0]["context"]["registration"]}
        assert "mbox" not in json.dumps(statements) and "wrong@x.test" not in json.dumps(statements)


def test_correct_response_pattern_matches_the_key(app, tmp_path):
    """Every answered statement carries the question's key and, for a right answer, the same response."""
    passed_id, _ = _world(app, tmp_path)
    with app.app_context():
        attempt = db.session.get(Attempt, passed_id)
        statements = xapi.attempt_statements(attempt, "https://c.example")[:-1]
        assert len(statements) == len(attempt.questions)
        for aq, statement in zip(attempt.questions, statements, strict=True):
            rev = aq.revision
            key = "[,]".join(sorted(c.key for c in rev.choices if c.is_correct))
            definition = statement["object"]["definition"]
            assert f"/questions/{rev.question.external_id}/" in statement["object"]["id"]
            assert definition["correctResponsesPattern"] == [key]
            assert definition["interactionType"] == ("true-false" if rev.type == "true_false" else "choice")
            assert statement["result"]["response"] == key and statement["result"]["success"] is True
            if rev.type == "multiple":
                assert "[,]" in key, "a multiple-response key lists several choices"


def test_export_is_stable_scoped_and_streams_json(app, tmp_path):
    _world(app, tmp_path)
    sup = Browser(app.test_client())
    sup.login("sup@x.test")
    first = sup.get("/supervisor/export/xapi.json")
    assert first.status_code == 200 and first.mimetype == "application/json"
    data = json.loads(first.get_data(as_text=True))
    for s in data:
        jsonschema.validate(s, SCHEMA)
    assert len(data) == 2 * (5 + 1)
    assert json.loads(sup.get("/supervisor/export/xapi.json").get_data(as_text=True)) == data, "same ids on re-export"
    other = Browser(app.test_client())
    other.login("sup2@x.test")
    assert json.loads(other.get("/supervisor/export/xapi.json").get_data(as_text=True)) == []
    with app.app_context():
        north = db.session.scalar(select(Attempt.id).limit(1))
    assert north is not None
    assert other.get("/supervisor/export/xapi.json?clinic=1").status_code == 404

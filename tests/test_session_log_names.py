"""A session log that seems to name a patient is held back until the trainee removes the name or
confirms it is not one (#16 item 5): nothing is stored in between."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import SupervisedSession
from quizapp.services.certification.supervised_sessions import likely_names

from . import factories
from .conftest import Browser

PAGE = "/trainee/sessions/new"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Upper trapezius, patient John Smith", ["John Smith"]),
        ("Needled gluteus medius for Priya today", ["Priya"]),
        ("Patient Okafor tolerated it well", ["Okafor"]),
        ("Upper trapezius and levator scapulae. Local twitch seen.", []),
        ("Gluteus Medius, Piriformis. No adverse events.", []),
    ],
)
def test_likely_names_finds_names_and_leaves_clinical_words(text, names):
    assert likely_names(text) == names


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SupervisedSession))


def log(b: Browser, muscles: str, **extra):
    fields = {
        "session_date": dt.date.today().isoformat(),
        "region": "head-neck",
        "muscles": muscles,
        "safety_notes": "",
    }
    return b.post_form(PAGE, {**fields, **extra})


@pytest.fixture
def trainee(app):
    with app.app_context():
        factories.user("tara@x.test")
    b = Browser(app.test_client())
    b.login("tara@x.test")
    return b


def test_a_bare_name_is_held_back_until_removed(app, trainee):
    held = log(trainee, "Upper trapezius, patient John Smith")
    assert held.status_code == 200
    page = held.get_data(as_text=True)
    assert "looks like a person&#39;s name: John Smith" in page and "Nothing was saved" in page
    assert 'name="not_a_name"' in page, "the page offers the confirmation box"
    assert stored(app) == 0
    assert log(trainee, "Upper trapezius").status_code == 302
    assert stored(app) == 1


def test_confirming_it_is_not_a_name_stores_the_log_as_written(app, trainee):
    assert log(trainee, "Upper trapezius, then Levator Bloggs technique").status_code == 200
    assert stored(app) == 0
    assert log(trainee, "Upper trapezius, then Levator Bloggs technique", not_a_name="y").status_code == 302
    with app.app_context():
        session = db.session.scalars(select(SupervisedSession)).one()
        assert session.muscles == "Upper trapezius, then Levator Bloggs technique"

"""The question page model: texts from the per-process revision cache, never a stale or foreign one."""

import pytest
from sqlalchemy import delete, select, update

from quizapp.extensions import db
from quizapp.models import Choice, QuestionRevision
from quizapp.services.quiz import attempt_pages

from . import factories


@pytest.fixture(autouse=True)
def empty_cache():
    """Both database legs run in one process and number their revisions alike: start each test cold."""
    attempt_pages._shown_revisions.clear()


def _first_revision() -> QuestionRevision:
    return db.session.scalars(select(QuestionRevision).order_by(QuestionRevision.id)).first()


def test_revision_texts_are_cached_by_id_and_content(ctx, tmp_path):
    """A second showing reads no revision row; other content under the same id is read afresh."""
    factories.tiny_bank(tmp_path)
    rev = _first_revision()
    ids = {c.id for c in rev.choices}
    first = attempt_pages.shown_revision(rev.id, rev.content_hash, ids)
    assert first.stem == rev.stem and set(first.choice_texts) == ids

    # The same id with other content, as after a database rebuilt under a running worker.
    db.session.execute(update(QuestionRevision).where(QuestionRevision.id == rev.id).values(stem="Rebuilt stem?"))
    db.session.execute(update(Choice).where(Choice.revision_id == rev.id).values(text="Rebuilt option"))
    db.session.commit()
    assert attempt_pages.shown_revision(rev.id, rev.content_hash, ids) is first
    rebuilt = attempt_pages.shown_revision(rev.id, "another-content-hash", ids)
    assert rebuilt.stem == "Rebuilt stem?" and set(rebuilt.choice_texts.values()) == {"Rebuilt option"}


def test_choice_ids_missing_from_the_cache_are_read_afresh(ctx, tmp_path):
    """A cached entry that lacks a choice the attempt needs is replaced, not trusted."""
    factories.tiny_bank(tmp_path)
    rev = _first_revision()
    ids = {c.id for c in rev.choices}
    db.session.execute(delete(Choice).where(Choice.id == max(ids)).execution_options(synchronize_session=False))
    partial = attempt_pages.shown_revision(rev.id, rev.content_hash + "-partial", ids - {max(ids)})
    assert max(ids) not in partial.choice_texts
    db.session.rollback()  # the choice is back
    whole = attempt_pages.shown_revision(rev.id, rev.content_hash + "-partial", ids)
    assert set(whole.choice_texts) == ids

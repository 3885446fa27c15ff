"""Per-revision item statistics, `flask items calibrate`, and the draw's use of a calibration (both legs)."""

import math
import random

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, Bank, CalibrationRun, ItemCalibration, Question, QuestionRevision
from quizapp.services.analytics import calibration, item_report
from quizapp.services.quiz import attempts

from . import factories
from .test_bank_import import GOOD, write

# Difficulty per question (logits), for answers simulated from the Rasch model.
TRUE = {"t-single": -1.5, "t-multi": 0.5, "t-tf": -0.5, "t-case-1": 0.0, "t-case-2": 1.0, "t-extra": 1.5}


def sit(trainee, bank, rng: random.Random, ability: float) -> Attempt:
    """One attempt through the real engine, each answer right with the Rasch probability."""
    attempt = attempts.start_or_resume(trainee, bank, seed=rng.getrandbits(31))
    for aq in attempt.questions:
        right = rng.random() < 1 / (1 + math.exp(TRUE[aq.revision.question.external_id] - ability))
        correct = {c.id for c in aq.revision.choices if c.is_correct}
        wrong = [cid for cid in aq.choice_order if cid not in correct][:1]
        attempts.save_answer(attempt.id, aq.position, correct if right else set(wrong))
    attempts.submit(attempt.id)
    return attempt


def cohort(bank, n: int, clinic: str, seed: int, prefix: str = "t"):
    rng = random.Random(seed)
    for i in range(n):
        sit(
            factories.user(f"{prefix}{i}@{clinic.split()[0].lower()}.test", clinic_name=clinic),
            bank,
            rng,
            rng.gauss(0.5, 1),
        )


CORRECTED = GOOD.replace("Which needle is used for dry needling?", "Which needle does dry needling use?").replace(
    "text: Suture needle", "text: Curved suture needle"
)


def test_statistics_are_per_revision(ctx, tmp_path):
    """A corrected question's old responses stay with its old revision and old option texts."""
    folder = write(tmp_path / "b", GOOD)
    factories.import_bank_dir(folder)
    bank = db.session.scalar(select(Bank))
    cohort(bank, 8, "North Clinic", seed=1, prefix="before")
    write(folder, CORRECTED)
    factories.import_bank_dir(folder)
    cohort(bank, 6, "North Clinic", seed=2, prefix="after")
    q = db.session.scalar(select(Question).where(Question.external_id == "t-single"))
    old, new = q.revisions
    shown = dict(
        db.session.execute(
            select(QuestionRevision.id, func.count())
            .select_from(Attempt)
            .join(Attempt.questions)
            .join(QuestionRevision)
            .where(QuestionRevision.question_id == q.id)
            .group_by(QuestionRevision.id)
        ).all()
    )
    current = item_report.analyse(bank, q.bank.questions[0].bank_id and None)
    row = next(r for r in current.items if r.external_id == "t-single")
    assert row.revision == 2 and row.current and row.stats.shown == shown.get(new.id, 0)
    assert all(r.current for r in current.items)
    both = item_report.analyse(bank, None, earlier=True)
    rows = [r for r in both.items if r.external_id == "t-single"]
    assert [r.revision for r in rows] == [2, 1]
    assert rows[1].stats.shown == shown[old.id] > 0 and not rows[1].current
    assert "Suture needle" in [t for _, t, _ in rows[1].choices]
    assert "Curved suture needle" in [t for _, t, _ in rows[0].choices]
    assert rows[0].stats.shown + rows[1].stats.shown == shown[old.id] + shown.get(new.id, 0)


@pytest.fixture
def calibrated_world(app, tmp_path):
    with app.app_context():
        factories.tiny_bank(tmp_path)
        bank = db.session.scalar(select(Bank))
        cohort(bank, 30, "North Clinic", seed=3)
        cohort(bank, 12, "South Clinic", seed=4, prefix="s")
    return app


def test_calibrate_stores_runs_skips_unchanged_data_and_replaces(calibrated_world):
    """The command calibrates each scope and fills decision quality; a rerun on the same data is
    skipped; a new first attempt recalibrates, replacing the scope's run (never two per scope)."""
    app = calibrated_world
    runner = app.test_cli_runner()
    first = runner.invoke(args=["items", "calibrate", "--every-clinic", "--trainees", "200"])
    assert first.exit_code == 0, first.output
    assert first.output.count(": calibrated;") == 3  # all clinics, North, South
    assert "classification consistency" in first.output
    again = runner.invoke(args=["items", "calibrate", "--every-clinic", "--trainees", "200"])
    assert again.exit_code == 0 and again.output.count(": unchanged;") == 3
    with app.app_context():
        runs = db.session.scalars(select(CalibrationRun).order_by(CalibrationRun.id)).all()
        assert len(runs) == 3
        pooled = next(r for r in runs if r.clinic_id is None)
        assert pooled.persons + pooled.extreme_persons == 42
        assert 0 < pooled.consistency <= 1 and pooled.sem > 0 and pooled.pass_mark == 60
        items = db.session.scalars(select(ItemCalibration).where(ItemCalibration.run_id == pooled.id)).all()
        assert len(items) == 6 and all(i.difficulty is not None and i.se > 0 for i in items)
        assert abs(sum(i.difficulty for i in items)) < 1e-6
        by_name = {i.revision.question.external_id: i.difficulty for i in items}
        assert by_name["t-single"] < by_name["t-extra"]
        bank = db.session.scalar(select(Bank))
        cohort(bank, 1, "North Clinic", seed=9, prefix="late")
    result = runner.invoke(args=["items", "calibrate", "--trainees", "100"])
    assert "(all clinics): calibrated;" in result.output
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(CalibrationRun).where(CalibrationRun.clinic_id.is_(None))
            )
            == 1
        )
        run = calibration.latest(db.session.scalar(select(Bank)), None)
        assert run.persons + run.extreme_persons == 43


def test_calibration_steers_the_draw_and_shows_on_its_page(calibrated_world, monkeypatch):
    """With enough responses a question's calibrated difficulty steers the draw, with too few its
    label; supervisors see their clinic's run, admins the pooled one with decision quality."""
    from .conftest import Browser

    app = calibrated_world
    assert (
        app.test_cli_runner().invoke(args=["items", "calibrate", "--every-clinic", "--trainees", "100"]).exit_code == 0
    )
    with app.app_context():
        bank = db.session.scalar(select(Bank))
        estimates = {
            i.revision_id: (i.difficulty, i.responses) for i in calibration.latest(bank, None).items if i.difficulty
        }
        monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 1)
        assert calibration.draw_difficulties(bank) == {rid: b for rid, (b, _) in estimates.items()}
        assert {c.difficulty for c in attempts.candidates(bank)} == {b for b, _ in estimates.values()}
        monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 10**6)
        assert {c.difficulty for c in attempts.candidates(bank)} <= set(calibration.LABEL_LOGITS.values())
        factories.user("sup@x.test", role="supervisor")
        factories.user("admin@x.test", role="admin", clinic_name=None)
    sup = Browser(app.test_client())
    sup.login("sup@x.test")
    page = sup.get("/supervisor/calibration?bank=tiny").get_data(as_text=True)
    assert "North Clinic · Rasch model" in page and "<code>t-single</code>" in page and "Infit" in page
    assert "Decision quality" not in page
    admin = Browser(app.test_client())
    admin.login("admin@x.test")
    pooled = admin.get("/supervisor/calibration?bank=tiny&scope=all").get_data(as_text=True)
    assert "All clinics · Rasch model" in pooled and "Decision quality at the pass mark" in pooled
    assert "would get the same pass or fail on a second random form" in pooled


def test_label_values_follow_the_calibrated_scale():
    """Uncalibrated questions take the mean calibrated difficulty of their label once it has 3 questions."""
    labels = {1: "easy", 2: "easy", 3: "easy", 4: "easy", 5: "hard", 6: "medium"}
    estimated = {1: (-2.0, 80), 2: (-1.0, 80), 3: (-1.5, 80), 5: (2.5, 10), 6: (0.2, 80)}
    values = calibration.draw_difficulties_from(labels, estimated, min_n=50)
    assert values[4] == pytest.approx(-1.5)  # the easy questions' mean
    assert values[5] == calibration.LABEL_LOGITS["hard"]  # 10 responses: not trusted; no calibrated hard ones
    assert values[6] == 0.2

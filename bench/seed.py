"""Seed a database with a realistic load for benchmarks.

Synthetic banks (4 x 64 questions, written as real bank files and imported through the real
importer), clinics of trainees, and submitted attempts whose answers follow a simple
ability model (P(correct) = logistic(ability - difficulty)), so that item statistics and
dashboards see realistic spreads. Attempts, items and responses are bulk-inserted: going
through the quiz engine for 200,000 answers would measure the seeding, not the app.

    python -m bench.seed --database-url postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench \
        --clinics 1 --trainees 2000 --responses 200000
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import tempfile
import time
from pathlib import Path

import flask_migrate
import psycopg
import sqlalchemy as sa

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import (
    Attempt,
    AttemptQuestion,
    Bank,
    Choice,
    Clinic,
    Question,
    QuestionRevision,
    Response,
    ResponseChoice,
    SupervisedSession,
    User,
)
from quizapp.services.banks import bank_import
from quizapp.services.certification import evaluation
from quizapp.services.people.passwords import hash_password

PASSWORD = "bench-password-1"
TOPICS = ("mechanisms", "indications", "acupuncture-comparison", "safety")


def bank_yaml(topic: str, questions: int = 64) -> str:
    lines = [
        f"id: bench-{topic}",
        f"topic: {topic}",
        f"title: Bench {topic}",
        "version: 1",
        "pass_mark: 70",
        "questions_per_attempt: 20",
        "time_limit_minutes: 30",
        "subtopics:",
    ]
    for s in range(4):
        lines += [
            f"  - id: s{s}",
            f"    title: Sub-topic {s}",
            f"    critical: {'true' if s == 0 and topic == 'safety' else 'false'}",
        ]
    lines.append("questions:")
    for q in range(questions):
        kind = ("single", "single", "multiple", "true_false")[q % 4]
        lines += [
            f"  - id: {topic[:4]}-{q:03}",
            f"    type: {kind}",
            f"    subtopic: s{q % 4}",
            f"    difficulty: {('easy', 'medium', 'hard')[q % 3]}",
            f"    stem: Synthetic benchmark question {q} about {topic}?",
        ]
        if kind == "true_false":
            lines.append("    answer: true")
        else:
            lines.append("    choices:")
            for c in "abcd":
                lines.append(f"      - id: {c}")
                lines.append(f"        text: Option {c} of question {q}")
                if c not in ("a", "b") or (kind == "single" and c == "b"):
                    lines.append("        feedback: This option is wrong for a synthetic reason.")
            lines.append("    correct: [a, b]" if kind == "multiple" else "    correct: [a]")
        lines += [
            "    rationale: A synthetic rationale that is long enough to pass the bank check.",
            "    references:",
            "      - {authors: Bench A, year: 2024, title: Synthetic source, source: Bench Journal 1:1-2}",
            "    reviewed: 2026-11-01",
        ]
    return "\n".join(lines) + "\n"


def reset(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def ensure_database(url: str) -> None:
    """Create the benchmark database on the PostgreSQL server if it does not exist."""
    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def seed(url: str, clinics: int, trainees: int, responses: int, seed_value: int = 7) -> dict:
    ensure_database(url)
    reset(url)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False, "RATELIMIT_ENABLED": False}
    )
    rng = random.Random(seed_value)
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        with tempfile.TemporaryDirectory() as folder:
            for topic in TOPICS:
                Path(folder, f"{topic}.yaml").write_text(bank_yaml(topic))
            bank_import.import_banks(folder)
        password_hash = hash_password(PASSWORD)
        clinic_ids = []
        for c in range(clinics):
            clinic = Clinic(name=f"Bench Clinic {c + 1}")
            db.session.add(clinic)
            db.session.flush()
            clinic_ids.append(clinic.id)
            db.session.add(
                User(
                    email=f"supervisor{c + 1}@bench.test",
                    name=f"Supervisor {c + 1}",
                    password_hash=password_hash,
                    role="supervisor",
                    clinic_id=clinic.id,
                )
            )
        db.session.commit()
        for clinic_id in clinic_ids:
            evaluation.programme_for(clinic_id)

        users = [
            {
                "email": f"trainee{i + 1}@bench.test",
                "name": f"Trainee {i + 1:05}",
                "password_hash": password_hash,
                "role": "trainee",
                "clinic_id": clinic_ids[i % clinics],
                "active": True,
                "session_version": 1,
                "created_at": dt.datetime(2026, 1, 1),
            }
            for i in range(trainees)
        ]
        db.session.execute(sa.insert(User), users)
        db.session.commit()
        trainee_ids = db.session.scalars(sa.select(User.id).where(User.role == "trainee").order_by(User.id)).all()
        ability = {uid: rng.gauss(0.8, 1.0) for uid in trainee_ids}

        banks = db.session.scalars(sa.select(Bank)).all()
        items = {}
        for bank in banks:
            revs = (
                db.session.execute(sa.select(QuestionRevision).join(Question).where(Question.bank_id == bank.id))
                .scalars()
                .all()
            )
            items[bank.id] = [
                (
                    r.id,
                    r.type,
                    r.critical,
                    [
                        (c.id, c.is_correct)
                        for c in db.session.scalars(
                            sa.select(Choice).where(Choice.revision_id == r.id).order_by(Choice.position)
                        )
                    ],
                    rng.gauss(0, 1),
                )
                for r in revs
            ]

        per_attempt = 20
        n_attempts = responses // per_attempt
        next_attempt = 1 + (db.session.scalar(sa.select(sa.func.max(Attempt.id))) or 0)
        next_aq, next_response = 1, 1
        base = dt.datetime(2026, 11, 1)
        attempt_rows, aq_rows, response_rows, selection_rows = [], [], [], []

        def flush():
            for model, rows in (
                (Attempt, attempt_rows),
                (AttemptQuestion, aq_rows),
                (Response, response_rows),
                (ResponseChoice, selection_rows),
            ):
                if rows:
                    db.session.execute(sa.insert(model), rows)
                    rows.clear()
            db.session.commit()

        for n in range(n_attempts):
            uid = trainee_ids[n % len(trainee_ids)]
            bank = banks[(n // len(trainee_ids)) % len(banks)]
            start = base - dt.timedelta(days=rng.randint(0, 600), minutes=rng.randint(0, 1440))
            drawn = rng.sample(items[bank.id], per_attempt)
            total, critical_scores = 0.0, []
            attempt_id = next_attempt
            next_attempt += 1
            for position, (rev_id, _kind, critical, choices, difficulty) in enumerate(drawn):
                p = 1 / (1 + math.exp(-(ability[uid] - difficulty)))
                right = rng.random() < p
                correct_ids = [cid for cid, ok in choices if ok]
                wrong_ids = [cid for cid, ok in choices if not ok]
                picked = correct_ids if right else [rng.choice(wrong_ids)]
                score = 1.0 if right else 0.0
                total += score
                if critical:
                    critical_scores.append(score)
                order = [cid for cid, _ in choices]
                rng.shuffle(order)
                aq_rows.append(
                    {
                        "id": next_aq,
                        "attempt_id": attempt_id,
                        "position": position,
                        "revision_id": rev_id,
                        "choice_order": order,
                        "critical": critical,
                    }
                )
                response_rows.append(
                    {
                        "id": next_response,
                        "attempt_question_id": next_aq,
                        "attempt_id": attempt_id,
                        "answered_at": start + dt.timedelta(seconds=30 * position),
                        "score": score,
                        "is_correct": right,
                    }
                )
                selection_rows += [{"response_id": next_response, "choice_id": cid} for cid in picked]
                next_aq += 1
                next_response += 1
            pct = round(100 * total / per_attempt, 2)
            crit = round(100 * sum(critical_scores) / len(critical_scores), 2) if critical_scores else None
            passed = pct >= bank.pass_mark and (crit is None or crit >= 100)
            attempt_rows.append(
                {
                    "id": attempt_id,
                    "user_id": uid,
                    "bank_id": bank.id,
                    "state": "submitted",
                    "seed": n,
                    "bank_version": 1,
                    "pass_mark": bank.pass_mark,
                    "critical_min": 100,
                    "started_at": start,
                    "expires_at": start + dt.timedelta(minutes=30),
                    "submitted_at": start + dt.timedelta(minutes=12),
                    "submit_reason": "trainee",
                    "current_position": per_attempt - 1,
                    "score": pct,
                    "critical_score": crit,
                    "passed": passed,
                }
            )
            if len(response_rows) >= 20000:
                flush()
        flush()

        sessions = []
        supervisors = {
            c: db.session.scalar(sa.select(User.id).where(User.clinic_id == c, User.role == "supervisor"))
            for c in clinic_ids
        }
        clinic_of = dict(db.session.execute(sa.select(User.id, User.clinic_id).where(User.role == "trainee")).all())
        for uid in trainee_ids:
            for k in range(rng.randint(0, 25)):
                day = dt.date(2026, 10, 1) - dt.timedelta(days=rng.randint(0, 300))
                sessions.append(
                    {
                        "trainee_id": uid,
                        "session_date": day,
                        "region": ("cervicothoracic", "lumbopelvic", "shoulder-upper-limb")[k % 3],
                        "muscles": "Upper trapezius",
                        "safety_notes": "",
                        "status": "signed_off",
                        "reviewed_by_id": supervisors[clinic_of[uid]],
                        "reviewed_at": dt.datetime.combine(day, dt.time(17)),
                        "created_at": dt.datetime.combine(day, dt.time(16)),
                    }
                )
        db.session.execute(sa.insert(SupervisedSession), sessions)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in (
                "user_account",
                "attempt",
                "attempt_question",
                "response",
                "supervised_session",
            ):
                # Rows were inserted with explicit ids: move each sequence past them.
                db.session.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            db.session.commit()
            # VACUUM as well as ANALYZE: a production server's autovacuum would have set the
            # visibility map by now (index-only scans), but this machine's server runs with
            # autovacuum off, and a freshly loaded table would read every row's heap page.
            # Straight through the driver: the app's engine opens a transaction block for any
            # statement that is not a read, and VACUUM refuses to run inside one.
            with psycopg.connect(
                db.engine.url.set(drivername="postgresql").render_as_string(False), autocommit=True
            ) as raw:
                raw.execute("VACUUM ANALYZE")
                # VACUUM dirties every page it visits; without a checkpoint here, writing them out
                # fell into the first measured scenario (trainee home right after a seed: p50 6.1 ms,
                # p99 55 ms; after a CHECKPOINT 4.3 and 8.7 ms, wrk at 1 user).
                raw.execute("CHECKPOINT")
        counts = {
            "clinics": clinics,
            "trainees": len(trainee_ids),
            "attempts": n_attempts,
            "responses": db.session.scalar(sa.select(sa.func.count()).select_from(Response)),
            "seconds": round(time.perf_counter() - started, 1),
        }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench")
    parser.add_argument("--clinics", type=int, default=10)
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--responses", type=int, default=200_000)
    args = parser.parse_args()
    print(seed(args.database_url, args.clinics, args.trainees, args.responses))


if __name__ == "__main__":
    main()

"""What one logged-in request costs, part by part, in one process (no server, no load generator).

Medians of repeated calls on the seeded bench database: the minimal Flask app, an anonymous and a
logged-in request to /healthz (the difference is loading the user and the live login session),
that lookup as the ORM runs it and as plain rows, a bare round trip through SQLAlchemy and through
psycopg, and the question page's query and template. Reads only; nothing is written.

    python -m bench.request_parts          # after `make bench` (or `python -m bench.seed`) has seeded the database
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def median_us(call, repeat: int) -> float:
    for _ in range(repeat // 10):  # warm caches, prepared statements and the compiled-statement cache
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/needlework_bench")
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")

    from flask import render_template
    from flask_login import login_user
    from sqlalchemy import select, text

    import wsgi
    from quizapp import security
    from quizapp.extensions import db
    from quizapp.models import Attempt, LoginSession, User, utcnow
    from quizapp.services.quiz import attempt_pages

    from . import seed
    from .hello import app as hello

    app, n = wsgi.app, args.repeat
    rows = [("minimal Flask app, GET /hello", median_us(lambda: hello.test_client().get("/hello"), n))]
    anonymous = app.test_client()
    rows.append(("Needlework, GET /healthz, anonymous", median_us(lambda: anonymous.get("/healthz"), n)))
    person = app.test_client()
    token = TOKEN.search(person.get("/auth/login").get_data(as_text=True)).group(1)
    login = {"email": "trainee1@bench.test", "password": seed.PASSWORD, "csrf_token": token}
    assert person.post("/auth/login", data=login).status_code == 302, "log in failed: seed the bench database first"
    rows.append(("Needlework, GET /healthz, logged in", median_us(lambda: person.get("/healthz"), n)))

    with app.app_context():
        live = db.session.execute(select(LoginSession.user_id, LoginSession.token_hash).limit(1)).one()
        lookup = security._user_by_live_session()
        params = {"id": live.user_id, "token_hash": live.token_hash}

        def orm_user():
            db.session.execute(lookup, params).scalar_one_or_none()
            db.session.expunge_all()  # a request starts with an empty session

        rows.append(("user + live session, ORM (User and Clinic)", median_us(orm_user, n)))
        plain = (
            select(User.__table__)
            .join(LoginSession.__table__)
            .where(User.id == live.user_id, LoginSession.token_hash == live.token_hash)
        )
        rows.append(("user + live session, plain row", median_us(lambda: db.session.execute(plain).first(), n)))
        one = text("select 1")
        rows.append(("select 1 through SQLAlchemy", median_us(lambda: db.session.execute(one).first(), n)))
        driver = db.session.connection().connection.driver_connection
        rows.append(("select 1 through psycopg", median_us(lambda: driver.execute("select 1").fetchone(), n)))

    with app.test_request_context("/"):
        attempt = db.session.scalars(
            select(Attempt).where(Attempt.state == "in_progress", Attempt.expires_at > utcnow()).limit(1)
        ).first()
        if attempt is not None:
            login_user(db.session.get(User, attempt.user_id))
            now = utcnow()
            rows.append(
                (
                    "question page: its query",
                    median_us(lambda: attempt_pages.question_page(attempt.user_id, attempt.id, 2, now), n),
                )
            )
            page = attempt_pages.question_page(attempt.user_id, attempt.id, 2, now)
            rows.append(
                (
                    "question page: its template",
                    median_us(lambda: render_template("trainee/question.html", page=page, number=3), n),
                )
            )

    print("| part | median µs |\n| --- | ---: |")
    for label, value in rows:
        print(f"| {label} | {value:.0f} |")


if __name__ == "__main__":
    main()

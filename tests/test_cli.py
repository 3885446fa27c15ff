"""The flask commands: users, banks check/import, demo."""

from pathlib import Path

from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Bank, Clinic, Question, User

DATA = Path(__file__).parent / "data"


def test_users_create(app):
    """`flask users create` makes an account in a clinic, hashing the password."""
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "New@X.test",
            "--name",
            "New Person",
            "--role",
            "supervisor",
            "--clinic",
            "East Clinic",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@x.test"))
        assert user.role == "supervisor" and user.clinic.name == "East Clinic"
        assert user.password_hash.startswith("$argon2id$")


def test_users_create_refuses_duplicates_and_short_passwords(app):
    """Clear errors, non-zero exit, nothing created."""
    runner = app.test_cli_runner()
    args = ["users", "create", "--email", "a@x.test", "--name", "A", "--clinic", "C", "--password"]
    assert runner.invoke(args=args + ["short"]).exit_code != 0
    assert runner.invoke(args=args + ["long-enough-pw"]).exit_code == 0
    dup = runner.invoke(args=args + ["long-enough-pw"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_banks_import_is_idempotent(app, tmp_path):
    """Importing twice changes nothing the second time."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["banks", "import", str(DATA / "tiny_bank.yaml")])
    assert first.exit_code == 0 and "created" in first.output
    second = runner.invoke(args=["banks", "import", str(DATA / "tiny_bank.yaml")])
    assert second.exit_code == 0 and "unchanged" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bank)) == 1
        assert db.session.scalar(select(func.count()).select_from(Question)) == 6


def test_demo_without_the_banks_says_to_import_them(app):
    """`flask demo` before the banks are imported fails with the command to run, creating nothing
    (the demo itself is tested in test_demo.py)."""
    out = app.test_cli_runner().invoke(args=["demo"])
    assert out.exit_code != 0 and "flask banks import question_banks/" in out.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Clinic)) == 0

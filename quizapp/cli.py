"""Flask commands: users, banks, demo."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import demo as demo_data
from .cli_digest import digest_cli
from .cli_items import items_cli
from .extensions import db
from .models import Role
from .services.analytics import form_simulation
from .services.banks import bank_files, bank_import, interop, testwise
from .services.banks.interop import convert
from .services.certification import reminders
from .services.people import accounts

users_cli = AppGroup("users", help="Manage user accounts.")
certification_cli = AppGroup("certification", help="Certification housekeeping.")
banks_cli = AppGroup("banks", help="Check and import question banks.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.TRAINEE.value, show_default=True)
@click.option("--clinic", help="Clinic name (created if new); required for trainees and supervisors.")
@click.password_option(help="Prompted for when not given.")
def create_user(email: str, name: str, role: str, clinic: str | None, password: str) -> None:
    """Create a user account."""
    try:
        user = accounts.create_user(
            email, name, password, role, accounts.get_or_create_clinic(clinic) if clinic else None
        )
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {user.role} {user.email}" + (f" in {user.clinic.name}" if user.clinic else ""))


def _default_banks() -> str:
    return current_app.config["QUESTION_BANK_DIR"]


@banks_cli.command("check")
@click.argument("path", required=False)
@click.option(
    "--testwise",
    "run_testwise",
    is_flag=True,
    help="Also simulate knowledge-free strategies through the real draw and scoring.",
)
@click.option("--simulations", default=testwise.DEFAULT_SIMULATIONS, show_default=True, help="Trainees per bank.")
@click.option("--forms", "run_forms", is_flag=True, help="Also measure how much forms differ in difficulty.")
def check_banks(path: str | None, run_testwise: bool, simulations: int, run_forms: bool) -> None:
    """Validate bank files (no database). Exit status 1 on any error; warnings never fail.

    With --testwise, also exit 1 when a strategy passes a bank within its attempt limit in
    ``testwise.PASS_LIMIT`` or more of the simulated trainees.
    """
    files = bank_files.read_bank_files(path or _default_banks())
    if not files:
        raise click.ClickException(f"no .yaml bank files found at {path or _default_banks()}")
    for f in files:
        _report_file(f)
    errors = sum(len(f.errors) for f in files)
    warnings = sum(len(f.warnings) for f in files)
    click.echo(f"{len(files)} file(s), {errors} error(s), {warnings} warning(s)")
    guessable = _report_testwise([f.bank for f in files if f.ok], simulations) if run_testwise else 0
    unequal = _report_forms([f.bank for f in files if f.ok]) if run_forms else 0
    if errors or guessable or unequal:
        sys.exit(1)


def _report_forms(banks: list) -> int:
    """Print each bank's form-difficulty figures (``form_simulation``); return how many banks'
    calibrated draws exceed ``FORM_SD_LIMIT``."""
    over = 0
    for bank in banks:
        r = form_simulation.form_balance(bank, decision_trainees=form_simulation.DECISION_TRAINEES)
        click.echo(
            f"{bank.id}: form difficulty over {r.draws} draws, simulated item parameters "
            f"(calibration of {r.trainees} trainees: r = {r.recovery:.3f} with the truth, "
            f"95% intervals cover {100 * r.se_coverage:.0f}%)"
        )
        click.echo(f"  {'draw':46} {'form SD at the cut':>18} {'sub-topics':>10} {'max exposure':>12}")
        for f in r.figures:
            click.echo(
                f"  {f.draw:46} {f.sd:14.2f} pts {f.subtopics:10.1f} {100 * f.max_exposure:11.0f}%"
                + ("" if f.subtopic_counts_same and f.cases_whole else "  <- coverage or cases changed")
            )
        for draw, q in r.decisions:
            click.echo(
                f"  decisions at {q.pass_mark}%, {draw}: SEM {q.sem:.1f} points near the pass mark, "
                f"same pass/fail on a second form {100 * q.consistency:.1f}% (kappa {q.kappa:.2f}; "
                f"{q.trainees} trainees around the cut)"
            )
        calibrated = r.figures[2]
        if calibrated.sd > form_simulation.FORM_SD_LIMIT or not calibrated.cases_whole:
            over += 1
            click.echo(f"  <- forms differ by more than {form_simulation.FORM_SD_LIMIT} point (SD)")
    return over


def _report_file(f: bank_files.BankFile) -> None:
    for problem in f.errors:
        click.echo(f"error: {problem}", err=True)
    for problem in f.warnings:
        click.echo(f"warning: {problem}", err=True)
    if f.ok:
        click.echo(f"ok: {f.path} ({len(f.bank.questions)} questions)")
    if f.cues:
        click.echo(f"  cue figures ({'errors' if f.cues_strict else 'warnings'} when over the limit):")
        for figure in f.cues.figures:
            click.echo(f"    {figure}")


def _report_testwise(banks: list, simulations: int) -> int:
    """Print each strategy's pass chances per bank; return how many reach the limit."""
    over = 0
    for bank in banks:
        click.echo(f"{bank.id}: knowledge-free strategies, {simulations} simulated trainees")
        click.echo(f"  {'strategy':34} {'mean score':>10} {'pass one attempt':>17} {'pass within limit':>18}")
        for r in testwise.simulate(bank, simulations):
            flag = "  <- too guessable" if r.pass_within_limit >= testwise.PASS_LIMIT else ""
            over += bool(flag)
            click.echo(
                f"  {r.strategy:34} {r.mean_score:9.1f}% {100 * r.pass_one:16.1f}% "
                f"{100 * r.pass_within_limit:12.1f}% ({r.attempts}){flag}"
            )
    return over


@banks_cli.command("import")
@click.argument("path", required=False)
def import_banks(path: str | None) -> None:
    """Import bank files: all or nothing, idempotent, new revisions for edited questions."""
    try:
        reports = bank_import.import_banks(path or _default_banks())
    except bank_import.BankCheckFailed as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(str(exc)) from exc
    for r in reports:
        if not r.changed and not r.regrades:
            click.echo(f"{r.bank}: unchanged ({r.unchanged} questions)")
            continue
        click.echo(
            f"{r.bank}: {'created, ' if r.created else ''}{len(r.added)} added, {len(r.revised)} revised, "
            f"{len(r.retired)} retired, {len(r.restored)} restored, {r.unchanged} unchanged"
        )
        for note in r.notes:
            click.echo(f"  note: {note}")
        for qid in r.corrections:
            click.echo(f"  correction: {qid}")
        if r.corrections:
            click.echo(f"  regraded attempts with a changed result: {len(r.regrades)}")
            for g in r.regrades:
                click.echo(
                    f"    attempt {g.attempt_id} ({g.trainee}): score {g.before_score} -> {g.after_score}, "
                    f"passed {g.before_passed} -> {g.after_passed}"
                )


@banks_cli.command("convert")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip-unsupported", is_flag=True, help="Import the supported questions and list the others.")
@click.option("--id", "bank_id", help="Bank id for an imported file that does not carry one.")
@click.option("--topic", help="Topic slug for an imported file that does not carry one.")
def convert_bank(source: Path, target: Path, skip_unsupported: bool, bank_id: str | None, topic: str | None) -> None:
    """Convert a bank: YAML to Moodle XML (.xml) or GIFT (.gift), or either of those to YAML."""
    try:
        if source.suffix.lower() in (".yaml", ".yml"):
            convert.export_file(source, target)
            click.echo(f"wrote {target}")
            return
        imported = convert.import_file(
            source, target, skip_unsupported, {k: v for k, v in {"id": bank_id, "topic": topic}.items() if v}
        )
    except interop.UnsupportedQuestions as exc:
        for s in exc.skipped:
            click.echo(f"unsupported: {s}", err=True)
        raise click.ClickException(
            f"{len(exc.skipped)} unsupported question(s); nothing written. Use --skip-unsupported to import the rest."
        ) from exc
    except (convert.ConversionError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for s in imported.skipped:
        click.echo(f"skipped: {s}", err=True)
    click.echo(f"wrote {target} ({len(imported.data['questions'])} questions)")
    result = bank_files.read_bank_file(target)
    for problem in result.errors:
        click.echo(f"to fix: {problem}", err=True)
    if result.errors:
        click.echo(f"{len(result.errors)} problem(s) to fix before `flask banks import` accepts this file.")


@click.command("demo")
@click.option("--reset", is_flag=True, help="First delete the demo clinics and everyone in them, then rebuild.")
@with_appcontext
def demo(reset: bool) -> None:
    """Build the demo clinics, their people and histories (deterministic, idempotent); print every login."""
    if reset:
        click.echo(f"removed the demo clinics and {demo_data.remove()} demo account(s)")
    try:
        logins = demo_data.build()
    except demo_data.DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    played = sum(login.played for login in logins)
    click.echo(f"demo built: {played} trainee histories played" if played else "demo already built: nothing changed")
    for line in demo_data.describe(logins):
        click.echo(line)


@certification_cli.command("remind")
def remind() -> None:
    """List (and e-mail, where MAIL_SERVER is set) certifications expiring within 90, 60 or 30 days."""
    due = reminders.send_due()
    for r in due:
        how = "e-mailed" if r.emailed else "listed"
        click.echo(
            f"{r.user.email}: certificate expires {r.certificate.expires_on.isoformat()} "
            f"({r.days_left} days; {r.threshold}-day reminder {how})"
        )
    click.echo(f"{len(due)} reminder(s) due")


def init_app(app: Flask) -> None:
    app.cli.add_command(certification_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(banks_cli)
    app.cli.add_command(digest_cli)
    app.cli.add_command(demo)
    app.cli.add_command(items_cli)

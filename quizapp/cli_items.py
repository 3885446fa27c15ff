"""Flask commands for item statistics: ``flask items calibrate``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import Bank, Clinic
from .services.analytics import calibration, decision_quality

items_cli = AppGroup("items", help="Calibrate questions (Rasch) and measure decision quality.")

MISFIT = (0.7, 1.3)  # infit/outfit mean-squares outside this range are listed


@items_cli.command("calibrate")
@click.option("--bank", "slugs", multiple=True, help="Bank slug (repeatable); default: every bank.")
@click.option("--clinic", "clinic_id", type=int, help="Calibrate on one clinic's trainees only.")
@click.option("--every-clinic", is_flag=True, help="Also calibrate each clinic on its own.")
@click.option(
    "--trainees",
    default=decision_quality.TRAINEES,
    show_default=True,
    help="Simulated trainees for the decision-quality figures.",
)
def calibrate(slugs: tuple[str, ...], clinic_id: int | None, every_clinic: bool, trainees: int) -> None:
    """Rasch-calibrate banks from first attempts (every clinic pooled, unless --clinic).

    Safe to run nightly: a scope whose responses have not changed is skipped, and each run
    replaces the scope's previous one in one transaction.
    """
    query = select(Bank).order_by(Bank.slug)
    if slugs:
        query = query.where(Bank.slug.in_(slugs))
    banks = db.session.scalars(query).all()
    if slugs and len(banks) != len(set(slugs)):
        raise click.ClickException(f"unknown bank among: {', '.join(slugs)}")
    if clinic_id is not None and db.session.get(Clinic, clinic_id) is None:
        raise click.ClickException(f"no clinic with id {clinic_id}")
    scopes: list[int | None] = [clinic_id]
    if every_clinic:
        scopes += [c for c in db.session.scalars(select(Clinic.id).order_by(Clinic.id)) if c != clinic_id]
    for bank in banks:
        for scope in scopes:
            outcome = calibration.calibrate(bank, scope)
            if outcome.status == "calibrated" and outcome.run is not None:
                decision_quality.assess(outcome.run, trainees=trainees)
            _report(outcome)


def _report(outcome: calibration.Outcome) -> None:
    run = outcome.run
    head = f"{outcome.bank} ({outcome.scope}): {outcome.status}"
    if run is None:
        click.echo(head)
        return
    estimated = [i for i in run.items if i.difficulty is not None]
    click.echo(
        f"{head}; {run.persons} trainees ({run.extreme_persons} with a zero or perfect score set aside), "
        f"{len(estimated)} of {len(run.items)} revisions estimated, "
        f"{'converged' if run.converged else 'NOT converged'} in {run.iterations} iterations"
    )
    if run.separation_reliability is not None:
        click.echo(
            f"  abilities: mean {run.ability_mean:.2f}, true SD {run.ability_sd:.2f} logits; "
            f"person separation reliability {run.separation_reliability:.2f}"
        )
    if run.sem is not None:
        click.echo(
            f"  at the pass mark ({run.pass_mark}%): SEM {run.sem:.1f} points; classification consistency "
            f"{100 * run.consistency:.1f}%" + (f" (kappa {run.kappa:.2f})" if run.kappa is not None else "")
        )
    for line in calibration.item_lines(run):
        e = line.estimate
        if e.difficulty is not None and not MISFIT[0] <= (e.infit or 1) <= MISFIT[1]:
            click.echo(f"  misfit: {line.external_id} r{line.revision} infit {e.infit:.2f} outfit {e.outfit:.2f}")

"""`flask digest send`: the supervisors' weekly digest of trainees at risk (run it weekly from cron)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .services.analytics import digest

digest_cli = AppGroup("digest", help="The supervisors' weekly digest.")


@digest_cli.command("send")
def send() -> None:
    """E-mail each supervisor their clinic's trainees at risk (where MAIL_SERVER is set); print what was sent.

    Exit status 1 when a message could not be sent (the others still go out).
    """
    digests = digest.send_weekly()
    for d in digests:
        who = f"{d.supervisor.email} ({d.clinic.name})"
        if not d.trainees:
            click.echo(f"{who}: no trainees at risk, nothing sent")
            continue
        how = "e-mailed" if d.emailed else f"NOT SENT ({d.error})" if d.error else "listed (mail is not configured)"
        click.echo(f"{who}: {len(d.trainees)} trainee(s) at risk, {how}")
        for t in d.trainees:
            click.echo(f"  {t.name} <{t.email}>: {'; '.join(t.reasons)}")
    emailed = sum(d.emailed for d in digests)
    failed = sum(bool(d.error) for d in digests)
    click.echo(f"{emailed} digest(s) e-mailed, {failed} failed, {len(digests)} supervisor(s)")
    if failed:
        sys.exit(1)

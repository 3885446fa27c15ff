"""Sending e-mail where a mail server is configured (MAIL_SERVER); nothing is sent otherwise."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; False when no mail server is configured."""
    if not configured():
        return False
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "needlework@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    port = int(current_app.config.get("MAIL_PORT", 25))
    with smtplib.SMTP(current_app.config["MAIL_SERVER"], port, timeout=10) as smtp:
        smtp.send_message(message)
    return True

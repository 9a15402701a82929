"""Sending a one-time link by e-mail, only when SMTP is configured (`TRACKER_MAIL_*`).

Settings: MAIL_SERVER (empty: never send), MAIL_PORT (587), MAIL_USE_TLS (STARTTLS, true),
MAIL_USE_SSL (SMTP over TLS, false), MAIL_USERNAME / MAIL_PASSWORD (optional), MAIL_SENDER
(the From address), MAIL_TIMEOUT (seconds, 10).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any


def configured(config: Any) -> bool:
    """Whether links can be e-mailed: a mail server is set (otherwise the admin sends them)."""
    return bool(config.get("MAIL_SERVER"))


def send(config: Any, to: str, subject: str, body: str) -> None:
    """Send one plain-text message. Raises OSError / smtplib.SMTPException on failure."""
    message = EmailMessage()
    message["From"] = config.get("MAIL_SENDER") or "initiative-tracker@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host = config["MAIL_SERVER"]
    port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 587))
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if not config.get("MAIL_USE_SSL") and config.get("MAIL_USE_TLS", True):
            smtp.starttls(context=context)
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def link_message(*, name: str, link: str, purpose: str, valid_for: str) -> tuple[str, str]:
    """Subject and body of an invitation or reset e-mail."""
    if purpose == "invitation":
        subject = "You are invited to the Initiative Tracker"
        opening = (
            "The Hertfordshire LEP programme office has invited you to the Initiative Tracker, "
            "the shared board of the partnership's initiatives."
        )
        action = "To set your password and sign in, open this link"
    else:
        subject = "Reset your Initiative Tracker password"
        opening = "The programme office has issued you a link to set a new password."
        action = "To set a new password, open this link"
    body = (
        f"Dear {name},\n\n{opening}\n\n{action} (it works once, for {valid_for}):\n\n"
        f"{link}\n\nIf you did not expect this message, you can ignore it.\n"
    )
    return subject, body

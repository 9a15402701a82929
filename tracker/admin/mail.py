"""Sending a one-time link by e-mail, only when SMTP is configured (`TRACKER_MAIL_*`).

The settings are `tracker.mail.transport`'s. A link is sent at once, not through the outbox:
the admin is waiting to hear whether it went (and can pass it on by hand if not).
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from tracker.mail import transport


def configured(config: Any) -> bool:
    """Whether links can be e-mailed: a mail server is set (otherwise the admin sends them)."""
    return transport.configured(config)


def send(config: Any, to: str, subject: str, body: str) -> None:
    """Send one plain-text message at once (the admin is waiting for the link to go). Raises
    OSError / smtplib.SMTPException on failure."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    transport.deliver(config, message)


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

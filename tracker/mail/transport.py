"""Handing a message to the SMTP server `TRACKER_MAIL_*` names.

Settings: MAIL_SERVER (empty: never send), MAIL_PORT (587), MAIL_USE_TLS (STARTTLS, true),
MAIL_USE_SSL (SMTP over TLS, false), MAIL_USERNAME / MAIL_PASSWORD (optional), MAIL_SENDER
(the From address), MAIL_TIMEOUT (seconds, 10).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

DEFAULT_SENDER = "initiative-tracker@localhost"


def configured(config: Any) -> bool:
    """Whether mail can be sent: a mail server is set."""
    return bool(config.get("MAIL_SERVER"))


def sender(config: Any) -> str:
    return str(config.get("MAIL_SENDER") or DEFAULT_SENDER)


def deliver(config: Any, message: EmailMessage) -> None:
    """Send `message` (its From set here). Raises OSError / smtplib.SMTPException on failure."""
    if "From" not in message:
        message["From"] = sender(config)
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

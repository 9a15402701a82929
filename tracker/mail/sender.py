"""Sending what the outbox holds: `send_due` takes each due message (`outbox.claim`), builds
it, hands it to the SMTP server and marks it sent; a failure keeps it, to be tried again
1, 2, 4 … minutes later (at most `MAIL_RETRY_MAX_MINUTES`), except one the server refuses for
good `GIVE_UP_AFTER` times, which is given up (kept, and counted on the admin page). With no
mail server configured it sends nothing and everything waits.
"""

from __future__ import annotations

import email.policy
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import current_app

from tracker.errors import DomainError
from tracker.mail import outbox, transport
from tracker.models import OutboxMessage, utcnow
from tracker.reports import service

# Lines up to RFC 5322's 998 characters: with the default 78, Python writes a long header
# that has no space to fold at (List-Unsubscribe's signed link) as RFC 2047 encoded words,
# which mail programs do not read there, so they would offer no one-click unsubscribe.
POLICY = email.policy.SMTP.clone(max_line_length=998)


# A message the server refuses for good (a 5xx reply: an unknown mailbox, an address it will
# not take) this many times is given up, rather than tried every hour for ever.
GIVE_UP_AFTER = 3


def refused_for_good(error: Exception) -> bool:
    """A 5xx reply (RFC 5321's permanent failures), or a capability the server lacks."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def server_away(error: Exception) -> bool:
    """Whether a failure says the server is away (refused, dropped, timed out, no such host),
    not that this one message is wrong: the rest of the round would fail the same way, so it
    ends and the messages wait. `smtplib`'s errors are OSErrors too: a refused recipient or a
    missing capability is this message's own."""
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


@dataclass(frozen=True)
class Round:
    sent: int
    failed: int


def build(config: Any, message: OutboxMessage) -> EmailMessage:
    """The e-mail of an outbox row: plain text, HTML beside it when there is one, and the
    attachment it names, rebuilt now (a finished week's report never changes). Its Message-ID
    is the row's, so that a message sent again after a sender died mid-send is recognisably
    the same one."""
    email = EmailMessage(policy=POLICY)
    sender = transport.sender(config)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox-{message.id}.{message.kind}@{domain}>"
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.attachment:
        body, filename, media = _attachment(message.attachment)
        maintype, _, subtype = media.partition("/")
        email.add_attachment(body, maintype=maintype, subtype=subtype, filename=filename)
    return email


def _attachment(reference: dict[str, Any]) -> tuple[bytes, str, str]:
    if reference.get("kind") != "weekly_report":
        raise ValueError(f"unknown attachment {reference!r}")
    produced = service.produce(
        int(reference["board_id"]), str(reference["week"]), str(reference["format"]), builder=None
    )
    return produced.body, produced.filename, produced.media_type.split(";")[0]


def send_due(limit: int | None = None) -> Round:
    """Send the due messages (at most `limit`), each once: other senders running at the same
    time take other rows. Nothing when no mail server is configured."""
    config = current_app.config
    if not transport.configured(config):
        return Round(0, 0)
    retry_max = timedelta(minutes=float(config.get("MAIL_RETRY_MAX_MINUTES") or 60))
    sent = failed = 0
    while limit is None or sent + failed < limit:
        message = outbox.claim(utcnow())
        if message is None:
            break
        try:
            transport.deliver(config, build(config, message))
        except (smtplib.SMTPException, OSError, DomainError, ValueError) as error:
            outbox.mark_failed(
                message,
                utcnow(),
                f"{type(error).__name__}: {error}",
                retry_max,
                give_up=refused_for_good(error) and message.attempts >= GIVE_UP_AFTER,
            )
            failed += 1
            if server_away(error):
                break
            continue
        outbox.mark_sent(message, utcnow())
        sent += 1
    return Round(sent, failed)

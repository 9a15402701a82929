"""A real SMTP server for tests (aiosmtpd), that can be stopped and started again on the same
port, and what it received, parsed."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        # Addresses refused at RCPT, as a real server refuses an unknown mailbox.
        self.refused: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._inbox = _Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.content, policy=default_policy)  # type: ignore[misc]
            for e in self._inbox.envelopes
        ]

    @property
    def raw(self) -> list[bytes]:
        """Each message as it came over the wire."""
        return [bytes(e.original_content) for e in self._inbox.envelopes]

    def refuse(self, address: str) -> None:
        self._inbox.refused.add(address)

    @property
    def recipients(self) -> list[str]:
        return [to for e in self._inbox.envelopes for to in e.rcpt_tos]

    def config(self) -> dict[str, Any]:
        """The app settings that send here."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_SENDER": "tracker@herts-lep.example",
            "MAIL_TIMEOUT": 5,
        }

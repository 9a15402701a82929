"""The one family of domain errors. The API turns them into the JSON error shape, pages into
messages, Socket.IO handlers into error acknowledgements."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        fields: dict[str, str] | None = None,
        *,
        current: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        # For conflicts: the object as the database holds it now.
        self.current = current


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        if message is None:
            message = "; ".join(f"{name}: {reason}" for name, reason in fields.items())
        super().__init__(message, fields)


class ConfigurationError(RuntimeError):
    """The tracker's configuration cannot be used (a public secret key, a limit that is not
    a number): raised by `create_app`, said in one line by the command line."""

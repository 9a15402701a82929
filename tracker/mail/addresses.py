"""The one rule for an e-mail address a person gives (an invitation, a report recipient,
`tracker send-weekly --to`): the text rule (so no CR or LF can add a header), a real address
by `email-validator` in its strict mode (RFC 5321's 64 characters before the @), with no
deliverability check (the tracker may not reach DNS), an ASCII address (international
characters before the @ need SMTPUTF8, which many mail relays do not offer; a domain's are
sent as its IDNA form), at most 254 characters, lower case."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from tracker import text
from tracker.errors import Invalid
from tracker.models import ADDRESS_MAX


def checked(value: object, field: str) -> str:
    """`value` as a normalised, lower-case address. Raises `Invalid({field: reason})`."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid({field: "is required"})
    text.clean(value, field)
    try:
        found = validate_email(
            value.strip(), check_deliverability=False, allow_smtputf8=False, strict=True
        )
        address = found.ascii_email or found.normalized
    except EmailNotValidError as error:
        raise Invalid({field: f"is not an e-mail address ({error})"}) from error
    address = address.lower()
    if len(address) > ADDRESS_MAX:
        raise Invalid({field: f"must be at most {ADDRESS_MAX} characters"})
    return address

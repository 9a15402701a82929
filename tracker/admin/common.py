"""What every administrative operation shares besides `tracker.operations`: the
administrators-only check, label lengths and quoted lists and counts in messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from tracker import policy
from tracker.models import Initiative, User

T = TypeVar("T")

LABEL_MAX = 80  # stage, Grand Challenge and role type names: they head columns and rows


def require_admin(actor: User) -> None:
    """Refuse anyone but an administrator (`Forbidden`)."""
    policy.require(policy.may(actor, "administer"), "Only administrators can do this.")


def quoted_list(names: Iterable[str], limit: int = 5) -> str:
    """“A”, “B” and “C” (and 2 more)."""
    items = [f"“{n}”" for n in names]
    shown, rest = items[:limit], len(items) - limit
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else ""


def counted(n: int, noun: str) -> str:
    """ "1 initiative", "3 initiatives"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def titles(initiatives: Iterable[Initiative]) -> str:
    """The initiatives' titles as a quoted list, an archived one marked so."""
    return quoted_list(i.title + (" (archived)" if i.archived else "") for i in initiatives)

"""What every administrative operation shares: the result it returns, the permission check,
input checks, and the one place an entry point ends its unit of work (`commit`), with the
pages' way round it (`carry_out`: try the operation, answer a refusal, commit, say what
happened)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeAlias, TypeVar

from flask import flash
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from tracker import policy, realtime, unit_of_work
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import User
from tracker.operations import Change

T = TypeVar("T")

LABEL_MAX = 80  # stage, Grand Challenge and role type names: they head columns and rows


# What a page says after an operation: fixed, or made from what the operation did.
Saying: TypeAlias = str | Callable[[Change[T]], str]


def commit(done: Change[Any]) -> None:
    """The entry point's end of the unit of work: commit (publishing the board event, if any,
    only after it), then end the sockets of anyone who just lost access."""
    unit_of_work.commit(
        done.event,
        then=[partial(realtime.end_user_sockets, user_id) for user_id in done.end_sockets_of],
    )


def carry_out(
    operation: Callable[[], Change[T]],
    *,
    answer: Callable[[Change[T]], ResponseReturnValue],
    refused: Callable[[DomainError], ResponseReturnValue],
    form: FlaskForm | None = None,
    message: Saying[T] | None = None,
    unchanged: Saying[T] = "Nothing changed.",
    flash_unplaced: bool = True,
) -> ResponseReturnValue:
    """A page's unit of work: run `operation`, then commit and answer, or roll back and say why.

    Refused (any `DomainError`): roll back, put each reason on the `form` field of that name,
    flash the error's message when no field took one (unless `flash_unplaced` is False: the
    page says it another way), and answer `refused(error)`, which renders after the fields
    are marked. Change: `message` (or `unchanged`, when the request asked for what already was)
    is read before the commit, which expires the rows it names; then `commit`, flash it, and
    answer `answer(done)`.
    """
    try:
        done = operation()
    except DomainError as error:
        db.session.rollback()
        placed = False
        if form is not None:
            for name, reason in error.fields.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [*field.errors, reason]
                    placed = True
        if not placed and flash_unplaced:
            flash(error.message, "error")
        return refused(error)
    said = None
    if message is not None:
        saying = message if done.changed else unchanged
        said = saying(done) if callable(saying) else saying
    commit(done)
    if said is not None:
        flash(said, "success" if done.changed else "info")
    return answer(done)


def flash_done(done: Change[Any], message: str, unchanged: str = "Nothing changed.") -> None:
    """Say what an operation did, or `unchanged` when the request asked for what already was."""
    flash(message if done.changed else unchanged, "success" if done.changed else "info")


def invalid_form_status(form: FlaskForm) -> int:
    """The status for a form that did not validate: 400 for an expired or missing CSRF token
    (the form, not its values, is at fault), otherwise 422."""
    return 400 if "csrf_token" in form.errors else 422


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

"""How a page answers an operation: `carry_out` runs it, then commits and says what happened,
or rolls back and shows why (on the form's fields, or as a message). Used by the board's
pages and the administration pages alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from flask import flash, request, session
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from tracker import unit_of_work
from tracker.board import filters
from tracker.errors import DomainError, Invalid
from tracker.extensions import db
from tracker.models import Board
from tracker.operations import Change
from tracker.vocabulary import FIELD_LABELS

T = TypeVar("T")

# The session key of the card the board page is to confirm something on: [board id,
# initiative id, sentence, flash category].
CONFIRM_ON_CARD = "confirm_on_card"

# What a page says after an operation: fixed, or made from what the operation did.
Saying: TypeAlias = str | Callable[[Change[T]], str]

# What the pages call the fields that operations name in a refusal, beyond the initiative's
# own (`vocabulary.FIELD_LABELS`).
FIELD_NAMES = {
    "body": "progress note",
    "role_type_id": "role",
    "organisation_id": "organisation",
    "initiative_id": "initiative",
    "request_id": "request",
    "interest_id": "interest",
    "claim_id": "claim",
    "watching": "watching",
    "brief": "brief",
    "message": "message",
    "reason": "reason",
    "version": "version",
    "name": "name",
}


def recorded(done: Change[Any], name: str) -> Any:
    """A value of the event an operation recorded (a role's or organisation's name), for the
    sentence a page says."""
    return (done.event.data if done.event else {}).get(name)


def field_name(field: str) -> str:
    """A field as people read it, capitalised: "Progress note", "Next step"."""
    label = FIELD_NAMES.get(field) or FIELD_LABELS.get(field) or field.replace("_", " ")
    return label[:1].upper() + label[1:]


def in_words(error: DomainError) -> str:
    """A refusal as a page says it: each field by the name people read ("Progress note: is
    required."), where the operation gave only its reasons; its own message otherwise."""
    fields = error.fields
    if (
        isinstance(error, Invalid)
        and fields
        and error.message == "; ".join(f"{name}: {reason}" for name, reason in fields.items())
    ):
        return " ".join(f"{field_name(name)}: {reason}." for name, reason in fields.items())
    return error.message


def carry_out(
    operation: Callable[[], Change[T]],
    *,
    answer: Callable[[Change[T]], ResponseReturnValue],
    refused: Callable[[DomainError], ResponseReturnValue],
    form: FlaskForm | None = None,
    message: Saying[T] | None = None,
    unchanged: Saying[T] = "Nothing changed.",
    flash_unplaced: bool = True,
    say: Callable[[str, str], object] = flash,
) -> ResponseReturnValue:
    """A page's unit of work: run `operation`, then commit and answer, or roll back and say why.

    Refused (any `DomainError`): roll back, put each reason on the `form` field of that name,
    flash the error's message when no field took one (unless `flash_unplaced` is False: the
    page says it another way), and answer `refused(error)`, which renders after the fields
    are marked. Change: `message` (or `unchanged`, when the request asked for what already was)
    is read before the commit, which expires the rows it names; then `commit`, `say` it
    (message, category; by default a flash message), and answer `answer(done)`.
    """
    try:
        done = operation()
    except DomainError as error:
        db.session.rollback()
        placed = form is not None and place_reasons(form, error)
        if not placed and flash_unplaced:
            flash(in_words(error), "error")
        return refused(error)
    said = None
    if message is not None:
        saying = message if done.changed else unchanged
        said = saying(done) if callable(saying) else saying
    unit_of_work.commit_change(done)
    if said is not None:
        say(said, "success" if done.changed else "info")
    return answer(done)


def place_reasons(form: FlaskForm, error: DomainError) -> bool:
    """Put each of a refusal's reasons on the form's field of that name; whether any field
    took one."""
    placed = False
    for name, reason in error.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, reason]
            placed = True
    return placed


def flash_done(done: Change[Any], message: str, unchanged: str = "Nothing changed.") -> None:
    """Say what an operation did, or `unchanged` when the request asked for what already was."""
    flash(message if done.changed else unchanged, "success" if done.changed else "info")


def invalid_form_status(form: FlaskForm) -> int:
    """The status for a form that did not validate: 400 for an expired or missing CSRF token
    (the form, not its values, is at fault), otherwise 422."""
    return 400 if "csrf_token" in form.errors else 422


def confirm_on_card(board_id: int, initiative_id: int, sentence: str, kind: str) -> None:
    """Have this board's page, when next rendered, focus this card and say `sentence` on it,
    in view (rather than among the messages at the top, which a board scrolled to the card
    hides). The board page flashes it (as `kind`) instead when the card is not shown."""
    session[CONFIRM_ON_CARD] = [board_id, initiative_id, sentence, kind]


def filter_in_url(the_board: Board, instead: str) -> filters.CardFilter:
    """The board filter in the page's URL. One it cannot use (a bookmarked view can outlive
    what it names: a stage removed since) is said with `instead` ("The board is shown without
    filters."), and no filter is used."""
    try:
        return filters.parse(the_board, request.args.to_dict(flat=False))
    except Invalid as error:
        for name, reason in error.fields.items():
            flash(f"Filter {name}: {reason}. {instead}", "error")
        return filters.CardFilter()

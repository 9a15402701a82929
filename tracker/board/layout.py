"""How one user lays a board out, remembered for them on every device (issue 13, part 3), and
the board views they save by name (part 1).

- Card density: `comfortable` (every line of a card) or `compact` (title, RAG, days in the
  stage and the next step's due date; the role holders stay on the initiative's page).
- Collapsed swimlanes: the Grand Challenges whose row a user keeps closed.
- Saved views: a name for a board filter (`tracker.board.filters`), kept as the filter's query
  string, so opening a view is opening the board with that filter.

Everyone who may view a board may lay it out for themselves; nobody else's layout changes.
None of this is a board event: it changes what one person sees, not the board.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import sqlalchemy as sa

from tracker import policy
from tracker.board.filters import parse
from tracker.board.reading import get_board, load_board
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.models import (
    CARD_DENSITIES,
    VIEW_NAME_MAX,
    VIEW_QUERY_MAX,
    CollapsedSwimlane,
    GrandChallenge,
    SavedView,
    User,
)
from tracker.operations import Change, text_field

# Enough for every view a team could name on one board; a bound on what one account stores.
VIEWS_PER_BOARD_MAX = 50


def _require_viewer(actor: User) -> None:
    policy.require(policy.may(actor, "view"), "Your account cannot view boards.")


def set_density(actor: User, density: object) -> Change[str]:
    """Set the actor's card density: one of `CARD_DENSITIES`. Raises `Invalid({"density"})`."""
    _require_viewer(actor)
    if not isinstance(density, str) or density not in CARD_DENSITIES:
        raise Invalid({"density": f"must be one of {', '.join(CARD_DENSITIES)}"})
    if actor.card_density == density:
        return Change(density, changed=False)
    actor.card_density = density
    return Change(density)


def collapsed_swimlanes(user_id: int, board_id: int) -> set[int]:
    """The ids of the Grand Challenges of `board_id` that the user keeps collapsed."""
    return set(
        db.session.scalars(
            sa.select(CollapsedSwimlane.grand_challenge_id)
            .join(GrandChallenge, GrandChallenge.id == CollapsedSwimlane.grand_challenge_id)
            .where(CollapsedSwimlane.user_id == user_id, GrandChallenge.board_id == board_id)
        )
    )


def set_swimlane_collapsed(
    actor: User, board_id: int, grand_challenge_id: object, collapsed: bool
) -> Change[GrandChallenge]:
    """Collapse (or expand) a Grand Challenge's swimlane of `board_id` for the actor.
    Raises `NotFound` for no such board, `Invalid({"grand_challenge_id"})` for a Grand
    Challenge that is not the board's."""
    _require_viewer(actor)
    get_board(board_id)
    grand_challenge = (
        db.session.get(GrandChallenge, grand_challenge_id)
        if isinstance(grand_challenge_id, int) and not isinstance(grand_challenge_id, bool)
        else None
    )
    if grand_challenge is None or grand_challenge.board_id != board_id:
        raise Invalid({"grand_challenge_id": "no such Grand Challenge on this board"})
    row = db.session.get(CollapsedSwimlane, (actor.id, grand_challenge.id))
    if (row is not None) == collapsed:
        return Change(grand_challenge, changed=False)
    if collapsed:
        db.session.add(CollapsedSwimlane(user_id=actor.id, grand_challenge_id=grand_challenge.id))
    else:
        db.session.delete(row)
    db.session.flush()
    return Change(grand_challenge)


def saved_views(user_id: int, board_id: int) -> list[SavedView]:
    """The user's saved views of a board, by name."""
    return list(
        db.session.scalars(
            sa.select(SavedView)
            .where(SavedView.user_id == user_id, SavedView.board_id == board_id)
            .order_by(sa.func.lower(SavedView.name), SavedView.id)
        )
    )


def save_view(
    actor: User, board_id: int, name: object, args: Mapping[str, list[str]]
) -> Change[SavedView]:
    """Save the board filter `args` (each parameter's values, as the board page's URL has
    them) under `name`, replacing the actor's view of that name on this board. The filter is
    checked as the board checks it and kept in its own order, without empty values.
    Raises `Invalid` naming `name`, or the filter's bad parameter; `Invalid({"filter"})` for
    a filter that shows the whole board (nothing to save)."""
    _require_viewer(actor)
    the_board = load_board(board_id)
    clean = text_field(name, "name", max_len=VIEW_NAME_MAX, required=True, tidy=True)
    rule = parse(the_board, args)
    if not rule.active:
        raise Invalid({"filter": "choose at least one filter to save as a view"})
    query = urlencode(rule.args)
    if len(query) > VIEW_QUERY_MAX:
        raise Invalid({"filter": f"is too long to save (at most {VIEW_QUERY_MAX} characters)"})
    # Names are matched as people read them ("Économie" is "économie"), in Python: SQL's
    # lower() leaves non-ASCII letters alone on SQLite.
    views = saved_views(actor.id, board_id)
    existing = next((v for v in views if v.name.casefold() == clean.casefold()), None)
    if existing is not None:
        existing.name, existing.query = clean, query
        return Change(existing)
    if len(views) >= VIEWS_PER_BOARD_MAX:
        raise Invalid(
            {"name": f"you have {VIEWS_PER_BOARD_MAX} views of this board; delete one first"}
        )
    view = SavedView(user_id=actor.id, board_id=board_id, name=clean, query=query)
    try:
        with db.session.begin_nested():
            db.session.add(view)
    except sa.exc.IntegrityError:
        # The same name saved at the same moment (a double click): that one stands.
        raise Invalid({"name": "a view of this name was saved just now"}) from None
    return Change(view)


def delete_view(actor: User, board_id: int, view_id: int) -> Change[SavedView]:
    """Delete one of the actor's saved views of `board_id`. Another user's view is
    `NotFound` to them, as one that does not exist (its name is not theirs to learn)."""
    _require_viewer(actor)
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != actor.id or view.board_id != board_id:
        raise NotFound(f"View {view_id} does not exist.", {"view_id": "no such view"})
    db.session.delete(view)
    db.session.flush()
    return Change(view)

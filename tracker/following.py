"""What a person follows: an initiative their organisation proposed or holds a role on,
unless they chose to stop watching it; one they chose to watch; and, for envoys and admins,
a whole board or Grand Challenge. `tracker.notifications.fan_out` applies the same rule in
SQL to every change; here it is asked of one initiative (`watching`), of a board's cards at
once (`watched_among`), and changed (`set_watching`, `follow_board`, `unfollow_board`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from tracker import policy
from tracker.board.listing import BoardCard
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.models import Board, BoardFollow, GrandChallenge, Initiative, User, Watch
from tracker.operations import Change


def watching(user: User, initiative_id: int) -> bool:
    """Whether `user` follows the initiative now (their own choice, or their organisation's
    part in it, or a board or Grand Challenge they follow)."""
    initiative = db.session.get(Initiative, initiative_id)
    if initiative is None:
        return False
    choice = db.session.get(Watch, (user.id, initiative_id))
    if choice is not None:
        return choice.watching
    involved = initiative.proposing_organisation_id == user.organisation_id or any(
        c.organisation_id == user.organisation_id for c in initiative.claims
    )
    return involved or _follows_board(user.id, initiative)


def watched_among(
    user: User, board_id: int, cards: Iterable[BoardCard], follows: Sequence[BoardFollow]
) -> set[int]:
    """The ids of `cards` (one board's) that `user` follows now, as `watching` decides for
    one: their own choices on the board (one query), else their organisation's part in it,
    else `follows`, the board and Grand Challenges they follow (`board_follows`)."""
    choices = dict(
        db.session.execute(
            sa.select(Watch.initiative_id, Watch.watching)
            .join(Initiative, Initiative.id == Watch.initiative_id)
            .where(Watch.user_id == user.id, Initiative.board_id == board_id)
        ).all()
    )
    whole_board = any(follow.grand_challenge_id is None for follow in follows)
    lanes = {follow.grand_challenge_id for follow in follows}
    mine = user.organisation_id
    found: set[int] = set()
    for card in cards:
        choice = choices.get(card.id)
        if choice is None:
            choice = (
                card.proposing_organisation_id == mine
                or any(claim.organisation_id == mine for claim in card.claims)
                or whole_board
                or card.grand_challenge_id in lanes
            )
        if choice:
            found.add(card.id)
    return found


def _follows_board(user_id: int, initiative: Initiative) -> bool:
    return (
        db.session.scalar(
            sa.select(BoardFollow.id).where(
                BoardFollow.user_id == user_id,
                BoardFollow.board_id == initiative.board_id,
                sa.or_(
                    BoardFollow.grand_challenge_id.is_(None),
                    BoardFollow.grand_challenge_id == initiative.grand_challenge_id,
                ),
            )
        )
        is not None
    )


def set_watching(actor: User, initiative_id: int, value: object) -> Change[bool]:
    """Watch (True) or stop watching (False) an initiative: the actor's own choice, over what
    their organisation's part in it would say. Any account that may see the board may."""
    policy.require(policy.may(actor, "view"), "Your account cannot follow initiatives.")
    if not isinstance(value, bool):
        raise Invalid({"watching": "must be true or false"})
    if db.session.get(Initiative, initiative_id) is None:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    if watching(actor, initiative_id) == value:
        return Change(value, changed=False)
    choice = db.session.get(Watch, (actor.id, initiative_id))
    if choice is None:
        db.session.add(Watch(user_id=actor.id, initiative_id=initiative_id, watching=value))
    else:
        choice.watching = value
    db.session.flush()
    return Change(value)


def follow_board(actor: User, board_id: int, grand_challenge_id: int | None) -> Change[BoardFollow]:
    """Follow a whole board (`grand_challenge_id` None) or one of its Grand Challenges:
    envoys and admins, who look after many initiatives."""
    policy.require(policy.may(actor, "archive"), "Only envoys and admins follow whole boards.")
    if db.session.get(Board, board_id) is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    if grand_challenge_id is not None:
        lane = db.session.get(GrandChallenge, grand_challenge_id)
        if lane is None or lane.board_id != board_id:
            raise Invalid({"grand_challenge_id": "must be one of this board's Grand Challenges"})
    existing = db.session.scalar(
        sa.select(BoardFollow).where(
            BoardFollow.user_id == actor.id,
            BoardFollow.board_id == board_id,
            BoardFollow.grand_challenge_id.is_(None)
            if grand_challenge_id is None
            else BoardFollow.grand_challenge_id == grand_challenge_id,
        )
    )
    if existing is not None:
        return Change(existing, changed=False)
    follow = BoardFollow(user_id=actor.id, board_id=board_id, grand_challenge_id=grand_challenge_id)
    db.session.add(follow)
    db.session.flush()
    return Change(follow)


def unfollow_board(actor: User, follow_id: int) -> Change[None]:
    """Stop following a board or Grand Challenge: only one's own."""
    follow = db.session.get(BoardFollow, follow_id)
    if follow is None or follow.user_id != actor.id:
        raise NotFound("You do not follow that.", {"follow_id": "no such follow"})
    db.session.delete(follow)
    return Change(None)


def board_follows(user_id: int, board_id: int) -> list[BoardFollow]:
    return list(
        db.session.scalars(
            sa.select(BoardFollow)
            .where(BoardFollow.user_id == user_id, BoardFollow.board_id == board_id)
            .order_by(BoardFollow.grand_challenge_id.is_not(None), BoardFollow.id)
        )
    )

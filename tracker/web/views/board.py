"""The board page (live, or as it stood at the end of a day) and one card as it renders."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from markupsafe import Markup

from tracker import (
    board,
    events,
    following,
    limits,
    policy,
    text,
    unit_of_work,
    visits,
)
from tracker.accounts import actor
from tracker.board import filter_words, filters, layout, narrowing
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import VIEW_NAME_MAX, Board, Initiative, utcnow
from tracker.reports.replay import board_at
from tracker.web import bp
from tracker.web.cards import cards_html
from tracker.web.forms import (
    MoveForm,
)
from tracker.web.history import describe
from tracker.web.outcomes import CONFIRM_ON_CARD, filter_in_url

WHOLE_BOARD = "The board is shown without filters."


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    first = db.session.scalar(sa.select(Board.id).order_by(Board.id).limit(1))
    if first is None:
        return render_template("web/no_board.html")
    return redirect(url_for("web.board_page", board_id=first))


@bp.route("/boards/<int:board_id>")
@login_required
def board_page(board_id: int) -> ResponseReturnValue:
    if "as_of" in request.args:
        return _board_as_of(board_id, request.args["as_of"])
    # Note the visit first: its commit would otherwise expire every card loaded below.
    last_seq = db.session.scalar(sa.select(Board.last_seq).where(Board.id == board_id))
    if last_seq is None:
        abort(404)
    visit = visits.record_visit(actor().id, board_id, last_seq)
    unit_of_work.commit()
    the_board = board.load_board(board_id)
    rule = filter_in_url(the_board, WHOLE_BOARD)
    cards = board.board_cards(board_id, archived=rule.archived)
    shown = narrowing.narrowed(board_id, rule, cards)
    now = utcnow()
    user = actor()
    find = request.args.get("find", "")
    confirm = _confirmation(the_board, shown, find)
    # An archived card is restored from the Archived list, not moved.
    may_edit = (lambda _card: False) if rule.archived else policy.edit_rule(user)
    back = url_for("web.board_page", board_id=board_id, **rule.as_query())
    # The cards' Watch buttons follow what the notifications follow: the viewer's board and
    # Grand Challenge follows whatever their role now (an envoy may have become a member).
    follows = following.board_follows(user.id, board_id)
    watching = following.watched_among(user, board_id, shown, follows)
    html = cards_html(
        the_board,
        shown,
        now=now,
        may_edit=may_edit,
        watching=watching,
        confirm=confirm,
        back=back,
    )
    # The listing comes cell by cell in display order: appending keeps each cell's order.
    cells: dict[tuple[int, int], list[Markup]] = defaultdict(list)
    per_stage: dict[int, int] = defaultdict(int)
    per_lane: dict[int, int] = defaultdict(int)
    total_per_stage: dict[int, int] = defaultdict(int)
    for card in shown:
        cells[(card.stage_id, card.grand_challenge_id)].append(html[card.id])
        per_stage[card.stage_id] += 1
        per_lane[card.grand_challenge_id] += 1
    for card in cards:
        total_per_stage[card.stage_id] += 1
    since_count, since_events = (
        (0, []) if visit.first else visits.changes_since(board_id, visit.baseline_seq, user.id)
    )
    names = names_on(the_board)
    return render_template(
        "web/board.html",
        board=the_board,
        cells=cells,
        per_stage=per_stage,
        per_lane=per_lane,
        total_per_stage=total_per_stage,
        rule=rule,
        back=back,
        current_query=urlencode(rule.args),
        density=user.card_density,
        collapsed=_collapsed(user.id, board_id, shown, confirm),
        saved_views=layout.saved_views(user.id, board_id),
        # Envoys and admins may follow the whole board or a Grand Challenge (None: not offered).
        follows=follows if policy.may(user, "archive") else None,
        view_name_max=VIEW_NAME_MAX,
        shown=len(shown),
        total=len(cards),
        filter_choices=filter_words.choices(the_board),
        my_organisation_id=user.organisation_id,
        may_propose=policy.may(user, "propose"),
        move_form=MoveForm(),
        first_visit=visit.first,
        since_count=since_count,
        since_events=[(e, describe(events.envelope(e), names)) for e in since_events],
        titles={card.id: card.title for card in cards},
        find=find if confirm is None else "",
    )


def _collapsed(
    user_id: int, board_id: int, shown: list[board.BoardCard], confirm: tuple[int, str] | None
) -> set[int]:
    """The swimlanes the user keeps collapsed, but the one holding the card a move or a find
    has just reached: that card takes the focus and says so, which a hidden card cannot."""
    collapsed = layout.collapsed_swimlanes(user_id, board_id)
    if confirm is not None:
        collapsed -= {card.grand_challenge_id for card in shown if card.id == confirm[0]}
    return collapsed


def _confirmation(
    the_board: Board, cards: list[board.BoardCard], find: str
) -> tuple[int, str] | None:
    """The card the board page focuses, and what it says on it: the one a move from this
    page has just reached (`outcomes.confirm_on_card`), else the first whose title holds
    `find` (case- and accent-insensitive). A reason that cannot go on a card (its card is
    gone, nothing matched, a find that is not text) is flashed at the top instead."""
    on_board = {card.id: card for card in cards}
    pending = session.get(CONFIRM_ON_CARD)
    if isinstance(pending, list) and len(pending) == 4 and pending[0] == the_board.id:
        # Only this board's: another board's page leaves it for its own.
        session.pop(CONFIRM_ON_CARD)
        _board_id, initiative_id, sentence, kind = pending
        if initiative_id in on_board:
            return int(initiative_id), str(sentence)
        flash(str(sentence), str(kind))
    wanted = find.strip()
    if not wanted:
        return None
    reason = filters.search_problem(wanted)
    if reason is not None:
        flash(f"Find: {reason}.", "error")
        return None
    needle = text.folded(wanted)
    found = next((card for card in cards if needle in text.folded(card.title)), None)
    if found is None:
        flash(f"No initiative on this board has “{wanted}” in its title.", "info")
        return None
    stage = next(s.name for s in the_board.stages if s.id == found.stage_id)
    lane = next(g.name for g in the_board.grand_challenges if g.id == found.grand_challenge_id)
    return found.id, f"Found “{found.title}”: {stage}, {lane}."


@bp.route("/boards/<int:board_id>/archived")
@login_required
def archived_page(board_id: int) -> ResponseReturnValue:
    """The board's archived initiatives: who archived each and when, and (for envoys and
    admins) Restore."""
    the_board = board.get_board(board_id)
    return render_template(
        "web/archived.html",
        board=the_board,
        archived=board.archived_initiatives(board_id),
        may_restore=policy.may(actor(), "archive"),
    )


def _board_as_of(board_id: int, text: str) -> ResponseReturnValue:
    """The board rebuilt from its events as it stood at the end of a day (London), read-only."""
    the_board = board.load_board(board_id)
    day = limits.parse_day(text)
    if day is None:
        raise Invalid({"as_of": limits.DAY_FORMAT})
    if not limits.day_in_range(day):
        raise Invalid({"as_of": limits.DAY_RANGE})
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    moment = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    rule = filter_in_url(the_board, WHOLE_BOARD)
    replay = board_at(board_id, moment)
    replay.number_positions()
    cards = sorted(
        (c for c in replay.initiatives.values() if c.archived == rule.archived),
        key=lambda c: (c.stage_id, c.grand_challenge_id, c.position, c.id),
    )
    shown = narrowing.narrowed_replayed(rule, cards, day=day, moment=min(moment, utcnow()))
    cells: dict[tuple[int, int], list[Any]] = defaultdict(list)
    per_stage: dict[int, int] = defaultdict(int)
    total_per_stage: dict[int, int] = defaultdict(int)
    for card in shown:
        cells[(card.stage_id, card.grand_challenge_id)].append(card)
        per_stage[card.stage_id] += 1
    for card in cards:
        total_per_stage[card.stage_id] += 1
    user = actor()
    return render_template(
        "web/board_as_of.html",
        board=the_board,
        cells=cells,
        per_stage=per_stage,
        total_per_stage=total_per_stage,
        rule=rule,
        shown=len(shown),
        total=len(cards),
        filter_choices=filter_words.choices(the_board),
        my_organisation_id=user.organisation_id,
        as_of=day,
        filter_keep={"as_of": day.isoformat()},
        moment=min(moment, utcnow()),
    )


@bp.route("/initiatives/<int:initiative_id>/card")
@login_required
def card_fragment(initiative_id: int) -> ResponseReturnValue:
    """One board card, exactly as the board page renders it for this viewer (a drag handle
    and a Move… form only where they may edit). The board's script fetches it to apply a live
    change, so cards never hold a copy of the permission rules."""
    card = board.board_card(initiative_id)
    the_board = board.load_board(card.board_id)
    # A filtered board asks with its filter: 204 when the card is not (or no longer) in it.
    rule = filters.parse(the_board, request.args.to_dict(flat=False))
    back = url_for("web.board_page", board_id=card.board_id, **rule.as_query())
    if rule.active and (
        card.archived != rule.archived or not narrowing.narrowed(card.board_id, rule, [card])
    ):
        return "", 204
    user = actor()
    may_edit = (lambda _card: False) if card.archived else policy.edit_rule(user)
    follows = following.board_follows(user.id, card.board_id)
    watching = following.watched_among(user, card.board_id, [card], follows)
    html = cards_html(
        the_board, [card], now=utcnow(), may_edit=may_edit, watching=watching, back=back
    )
    return str(html[card.id])


@bp.route("/boards/<int:board_id>/stage-totals")
@login_required
def stage_totals(board_id: int) -> ResponseReturnValue:
    """How many initiatives each stage holds, filter aside: the "m" of a filtered board's
    "n of m", which its script asks for again after a change (`?archived=1`: the archived
    ones). JSON `{"stages": {stage_id: count}}`; one grouped count, however big the board."""
    board.get_board(board_id)
    archived = request.args.get("archived", "0") == "1"
    rows = db.session.execute(
        sa.select(Initiative.stage_id, sa.func.count(Initiative.id))
        .where(Initiative.board_id == board_id, Initiative.archived.is_(archived))
        .group_by(Initiative.stage_id)
    )
    return {"stages": {str(stage_id): count for stage_id, count in rows}}


def names_on(the_board: Board) -> dict[str, dict[int, str]]:
    return {
        "stages": {s.id: s.name for s in the_board.stages},
        "grand_challenges": {g.id: g.name for g in the_board.grand_challenges},
    }

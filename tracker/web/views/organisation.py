"""`/organisation`: one organisation's work across every board — the initiatives it proposed
or holds roles on, its roles, its next steps due or overdue, its initiatives with no update
for 14 days, and where it could help (roles wanted of a kind it has held). Everyone sees
their own organisation's; envoys and admins any organisation's
(`policy.may_see_organisation`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from tracker import board, policy
from tracker.accounts import actor
from tracker.board import filters, matching, narrowing
from tracker.board.listing import ListedInitiative
from tracker.errors import Forbidden
from tracker.extensions import db
from tracker.models import Board, Organisation, utcnow
from tracker.reports.week import london
from tracker.vocabulary import RAG_LABELS
from tracker.web import bp


@dataclass
class BoardWork:
    """One board's part of an organisation's page."""

    board: Board
    initiatives: list[ListedInitiative]
    # Per initiative id: "Proposed it", and the roles the organisation holds on it.
    involvement: dict[int, list[str]] = field(default_factory=dict)
    due: list[ListedInitiative] = field(default_factory=list)
    stale: list[ListedInitiative] = field(default_factory=list)


def _work_on(the_board: Board, organisation_id: int) -> BoardWork:
    listed = board.listed_initiatives(the_board.id)
    involved = filters.CardFilter(organisation_id=organisation_id)
    mine = narrowing.narrowed(the_board.id, involved, listed)
    work = BoardWork(the_board, mine)
    for initiative in mine:
        how = ["Proposed it"] if initiative.proposing_organisation_id == organisation_id else []
        how += [c.role for c in initiative.claims if c.organisation_id == organisation_id]
        work.involvement[initiative.id] = how
    due = filters.CardFilter(organisation_id=organisation_id, due="soon")
    work.due = sorted(
        narrowing.narrowed(the_board.id, due, mine),
        key=lambda i: (i.next_step_due, i.id),
    )
    stale = filters.CardFilter(organisation_id=organisation_id, stale=True)
    work.stale = narrowing.narrowed(the_board.id, stale, mine)
    return work


@bp.route("/organisation")
@login_required
def our_organisation() -> ResponseReturnValue:
    """The signed-in person's own organisation (or, from the page's chooser, another)."""
    chosen = request.args.get("organisation_id", "")
    organisation_id = (
        int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 18 else None
    )
    return redirect(
        url_for("web.organisation_page", organisation_id=organisation_id or actor().organisation_id)
    )


@bp.route("/organisations/<int:organisation_id>")
@login_required
def organisation_page(organisation_id: int) -> ResponseReturnValue:
    user = actor()
    # Permission first: whether an organisation exists is not told to those who may not look.
    if not policy.may_see_organisation(user, organisation_id):
        raise Forbidden("Envoys and admins can open any organisation's page; you, your own.")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    boards = [
        board.load_board(board_id)
        for board_id in db.session.scalars(sa.select(Board.id).order_by(Board.id))
    ]
    return render_template(
        "web/organisation.html",
        organisation=organisation,
        openings=matching.openings_for(organisation_id),
        board_names={b.id: b.name for b in boards},
        own=organisation_id == user.organisation_id,
        work=[_work_on(b, organisation_id) for b in boards],
        today=london(utcnow()).date(),
        names={
            b.id: {
                "stages": {s.id: s.name for s in b.stages},
                "lanes": {g.id: g.name for g in b.grand_challenges},
            }
            for b in boards
        },
        rag_labels=RAG_LABELS,
        organisations=(
            db.session.execute(
                sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
            ).all()
            if policy.may(user, "act_for_any_organisation")
            else []
        ),
    )

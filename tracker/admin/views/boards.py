"""Boards: the list, creating one, a board's page (its shape, every item with its form) and
renaming it. `shape_change` is the way every form on a board's page is handled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from tracker.accounts import actor
from tracker.admin import boards
from tracker.admin.forms import (
    BoardForm,
    LabelForm,
    NameForm,
    RecipientAddressForm,
    RoleTypeForm,
    StageForm,
)
from tracker.admin.views import bp
from tracker.board import load_board
from tracker.extensions import db
from tracker.models import Board, Initiative
from tracker.operations import Change
from tracker.web.outcomes import carry_out, invalid_form_status


@bp.route("/boards")
def boards_page() -> ResponseReturnValue:
    """Every board with its number of open initiatives, and the form to create one."""
    return _boards_page()


def _boards_page(form: BoardForm | None = None) -> str:
    rows = db.session.execute(
        sa.select(Board, sa.func.count(Initiative.id))
        .outerjoin(Initiative, sa.and_(Initiative.board_id == Board.id, ~Initiative.archived))
        .group_by(Board.id)
        .order_by(Board.name)
    ).all()
    form = form or BoardForm(prefix="board", formdata=None)
    return render_template(
        "admin/boards.html", rows=rows, form=form, error_forms=[form] if form.errors else []
    )


@bp.route("/boards", methods=["POST"])
def create_board() -> ResponseReturnValue:
    """Create a board, with the default shape or empty, and open its page."""
    form = BoardForm(prefix="board")
    if not form.validate_on_submit():
        return _boards_page(form), invalid_form_status(form)
    return carry_out(
        lambda: boards.create_board(actor(), form.name.data, bool(form.defaults.data)),
        form=form,
        refused=lambda error: (_boards_page(form), error.status),
        message=lambda done: f"Created board “{done.value.name}”.",
        answer=lambda done: redirect(url_for("admin.board_page", board_id=done.value.id)),
    )


def _shape_forms(board: Board) -> dict[str, FlaskForm]:
    """Every form on a board's page, keyed by prefix, filled with the current values."""
    forms: dict[str, FlaskForm] = {
        "board": NameForm(prefix="board", formdata=None, name=board.name),
        "new-stage": StageForm(prefix="new-stage", formdata=None),
        "new-lane": LabelForm(prefix="new-lane", formdata=None),
        "new-role": RoleTypeForm(prefix="new-role", formdata=None),
    }
    for s in board.stages:
        forms[f"stage-{s.id}"] = StageForm(
            prefix=f"stage-{s.id}", formdata=None, name=s.name, wip_limit=s.wip_limit
        )
    for g in board.grand_challenges:
        forms[f"lane-{g.id}"] = LabelForm(prefix=f"lane-{g.id}", formdata=None, name=g.name)
    for r in board.role_types:
        forms[f"role-{r.id}"] = RoleTypeForm(
            prefix=f"role-{r.id}",
            formdata=None,
            name=r.name,
            max_holders=r.max_holders,
            is_lead=r.is_lead,
            by_request=r.claim_mode == "request",
        )
    return forms


def _label_shape_forms(board: Board, forms: dict[str, Any]) -> None:
    """Labels that say which row an input belongs to: one page holds many "Name" inputs."""
    forms["board"].name.label.text = "Board name"
    forms["new-stage"].name.label.text = "Name of the new stage"
    forms["new-stage"].wip_limit.label.text = "WIP limit of the new stage"
    forms["new-lane"].name.label.text = "Name of the new Grand Challenge"
    forms["new-role"].name.label.text = "Name of the new role type"
    forms["new-role"].max_holders.label.text = "Maximum holders of the new role type"
    forms["new-role"].is_lead.label.text = "The new role type leads the initiative"
    for i, s in enumerate(board.stages, 1):
        forms[f"stage-{s.id}"].name.label.text = f"Stage {i} name"
        forms[f"stage-{s.id}"].wip_limit.label.text = f"Stage {i} WIP limit"
    for i, g in enumerate(board.grand_challenges, 1):
        forms[f"lane-{g.id}"].name.label.text = f"Grand Challenge {i} name"
    for i, r in enumerate(board.role_types, 1):
        forms[f"role-{r.id}"].name.label.text = f"Role type {i} name"
        forms[f"role-{r.id}"].max_holders.label.text = f"Role type {i} maximum holders"
        forms[f"role-{r.id}"].is_lead.label.text = f"Role type {i} leads the initiative"


def _board_page(board_id: int, submitted: FlaskForm | None = None) -> str:
    db.session.expire_all()
    board = load_board(board_id)
    forms = _shape_forms(board)
    if submitted is not None:
        forms[submitted._prefix.rstrip("-")] = submitted
    _label_shape_forms(board, forms)
    per_stage = dict(
        db.session.execute(
            sa.select(Initiative.stage_id, sa.func.count())
            .where(Initiative.board_id == board.id)
            .group_by(Initiative.stage_id)
        ).all()
    )
    per_grand_challenge = dict(
        db.session.execute(
            sa.select(Initiative.grand_challenge_id, sa.func.count())
            .where(Initiative.board_id == board.id)
            .group_by(Initiative.grand_challenge_id)
        ).all()
    )
    # The weekly report's e-mail list (views/recipients.py), on the same page.
    from tracker.admin.views import recipients as mail_views

    forms.setdefault("recipient-person", mail_views.person_form())
    forms.setdefault(
        "recipient-address", RecipientAddressForm(prefix="recipient-address", formdata=None)
    )
    return render_template(
        "admin/board.html",
        board=board,
        forms=forms,
        **mail_views.mail_context(board.id),
        per_stage=per_stage,
        per_grand_challenge=per_grand_challenge,
        error_forms=[submitted] if submitted is not None and submitted.errors else [],
    )


@bp.route("/boards/<int:board_id>")
def board_page(board_id: int) -> ResponseReturnValue:
    """A board's shape: its name, stages, Grand Challenges and role types, with forms."""
    return _board_page(board_id)


def shape_change(
    board_id: int,
    form: FlaskForm,
    operation: Callable[[], Change[Any]],
    message: Callable[[Change[Any]], str],
    anchor: str,
) -> ResponseReturnValue:
    """Validate, run a board-shape operation, commit and publish, come back to `anchor`."""
    if not form.validate_on_submit():
        return _board_page(board_id, form), invalid_form_status(form)
    return carry_out(
        operation,
        form=form,
        refused=lambda error: (_board_page(board_id, form), error.status),
        message=message,
        answer=lambda done: redirect(url_for("admin.board_page", board_id=board_id) + f"#{anchor}"),
    )


@bp.route("/boards/<int:board_id>/rename", methods=["POST"])
def rename_board(board_id: int) -> ResponseReturnValue:
    """Rename a board."""
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = NameForm(prefix="board")
    return shape_change(
        board_id,
        form,
        lambda: boards.rename_board(actor(), board_id, form.name.data),
        lambda d: f"Renamed the board to “{d.value.name}”.",
        "board-name",
    )

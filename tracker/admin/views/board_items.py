"""A board's stages, Grand Challenges and role types: adding, changing, moving one place up
or down, and deleting them, each from its form on the board's page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, redirect, request, url_for
from flask.typing import ResponseReturnValue

from tracker.accounts import actor
from tracker.admin import boards, role_types
from tracker.admin.forms import LabelForm, RoleTypeForm, StageForm
from tracker.admin.views import bp, form_expired
from tracker.admin.views.boards import shape_change
from tracker.extensions import db
from tracker.models import Board, GrandChallenge, RoleType, Stage, User
from tracker.operations import Change
from tracker.web.forms import ActionForm
from tracker.web.outcomes import carry_out


def _board_of(model: Any, item_id: int) -> int:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    return int(item.board_id)


@bp.route("/boards/<int:board_id>/stages", methods=["POST"])
def add_stage(board_id: int) -> ResponseReturnValue:
    """Add a stage at the end of a board."""
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = StageForm(prefix="new-stage")
    return shape_change(
        board_id,
        form,
        lambda: boards.add_stage(actor(), board_id, form.name.data, form.wip_limit.data),
        lambda d: f"Added stage “{d.value.name}”.",
        "stages",
    )


@bp.route("/stages/<int:stage_id>", methods=["POST"])
def change_stage(stage_id: int) -> ResponseReturnValue:
    """Rename a stage and/or set its WIP limit."""
    board_id = _board_of(Stage, stage_id)
    form = StageForm(prefix=f"stage-{stage_id}")
    return shape_change(
        board_id,
        form,
        lambda: boards.change_stage(actor(), stage_id, form.name.data, form.wip_limit.data),
        lambda d: f"Saved stage “{d.value.name}”.",
        f"stage-{stage_id}",
    )


@bp.route("/stages/<int:stage_id>/move", methods=["POST"])
def move_stage(stage_id: int) -> ResponseReturnValue:
    """Move a stage one place up or down."""
    return _direction_move(Stage, stage_id, boards.move_stage, f"stage-{stage_id}", "stage")


@bp.route("/stages/<int:stage_id>/delete", methods=["POST"])
def delete_stage(stage_id: int) -> ResponseReturnValue:
    """Delete a stage that holds no initiative."""
    return _delete(Stage, stage_id, boards.delete_stage, "stage", "stage")


@bp.route("/boards/<int:board_id>/grand-challenges", methods=["POST"])
def add_grand_challenge(board_id: int) -> ResponseReturnValue:
    """Add a Grand Challenge swimlane at the bottom of a board."""
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = LabelForm(prefix="new-lane")
    return shape_change(
        board_id,
        form,
        lambda: boards.add_grand_challenge(actor(), board_id, form.name.data),
        lambda d: f"Added Grand Challenge “{d.value.name}”.",
        "lanes",
    )


@bp.route("/grand-challenges/<int:grand_challenge_id>", methods=["POST"])
def rename_grand_challenge(grand_challenge_id: int) -> ResponseReturnValue:
    """Rename a Grand Challenge."""
    board_id = _board_of(GrandChallenge, grand_challenge_id)
    form = LabelForm(prefix=f"lane-{grand_challenge_id}")
    return shape_change(
        board_id,
        form,
        lambda: boards.rename_grand_challenge(actor(), grand_challenge_id, form.name.data),
        lambda d: f"Renamed the Grand Challenge to “{d.value.name}”.",
        f"lane-{grand_challenge_id}",
    )


@bp.route("/grand-challenges/<int:grand_challenge_id>/move", methods=["POST"])
def move_grand_challenge(grand_challenge_id: int) -> ResponseReturnValue:
    """Move a Grand Challenge one place up or down."""
    return _direction_move(
        GrandChallenge,
        grand_challenge_id,
        boards.move_grand_challenge,
        f"lane-{grand_challenge_id}",
        "Grand Challenge",
    )


@bp.route("/grand-challenges/<int:grand_challenge_id>/delete", methods=["POST"])
def delete_grand_challenge(grand_challenge_id: int) -> ResponseReturnValue:
    """Delete a Grand Challenge that holds no initiative."""
    return _delete(
        GrandChallenge, grand_challenge_id, boards.delete_grand_challenge, "lane", "Grand Challenge"
    )


@bp.route("/boards/<int:board_id>/role-types", methods=["POST"])
def add_role_type(board_id: int) -> ResponseReturnValue:
    """Add a role type to a board."""
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = RoleTypeForm(prefix="new-role")
    return shape_change(
        board_id,
        form,
        lambda: role_types.add_role_type(
            actor(),
            board_id,
            form.name.data,
            form.max_holders.data,
            bool(form.is_lead.data),
            "request" if form.by_request.data else "claim",
        ),
        lambda d: f"Added role type “{d.value.name}”.",
        "roles",
    )


@bp.route("/role-types/<int:role_type_id>", methods=["POST"])
def change_role_type(role_type_id: int) -> ResponseReturnValue:
    """Rename a role type, change its maximum holders, whether it leads and whether it is
    asked for."""
    board_id = _board_of(RoleType, role_type_id)
    form = RoleTypeForm(prefix=f"role-{role_type_id}")
    return shape_change(
        board_id,
        form,
        lambda: role_types.change_role_type(
            actor(),
            role_type_id,
            form.name.data,
            form.max_holders.data,
            bool(form.is_lead.data),
            "request" if form.by_request.data else "claim",
        ),
        lambda d: f"Saved role type “{d.value.name}”.",
        f"role-{role_type_id}",
    )


@bp.route("/role-types/<int:role_type_id>/move", methods=["POST"])
def move_role_type(role_type_id: int) -> ResponseReturnValue:
    """Move a role type one place up or down."""
    return _direction_move(
        RoleType, role_type_id, role_types.move_role_type, f"role-{role_type_id}", "role type"
    )


@bp.route("/role-types/<int:role_type_id>/delete", methods=["POST"])
def delete_role_type(role_type_id: int) -> ResponseReturnValue:
    """Delete a role type no organisation holds."""
    return _delete(RoleType, role_type_id, role_types.delete_role_type, "role", "role type")


def _direction_move(
    model: Any,
    item_id: int,
    operation: Callable[[User, int, object], Change[Any]],
    anchor: str,
    label: str,
) -> ResponseReturnValue:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    board_id = item.board_id
    form = ActionForm()
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    back = url_for("admin.board_page", board_id=board_id) + f"#{anchor}"
    if not form.validate_on_submit() or step is None:
        return form_expired(back)
    return carry_out(
        lambda: operation(actor(), item_id, item.position + step),
        refused=lambda error: redirect(back),
        message=lambda done: (
            f"Moved {label} “{done.value.name}” to position {done.value.position + 1}."
        ),
        unchanged=lambda done: f"“{done.value.name}” is already at that end.",
        answer=lambda done: redirect(back),
    )


def _delete(
    model: Any,
    item_id: int,
    operation: Callable[[User, int], Change[None]],
    anchor: str,
    label: str,
) -> ResponseReturnValue:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    board_id, name = item.board_id, item.name
    back = url_for("admin.board_page", board_id=board_id)
    if not ActionForm().validate_on_submit():
        return form_expired(back + f"#{anchor}-{item_id}")
    return carry_out(
        lambda: operation(actor(), item_id),
        refused=lambda error: redirect(back + f"#{anchor}-{item_id}"),
        message=f"Deleted {label} “{name}”.",
        answer=lambda done: redirect(back + f"#{anchor}s"),
    )

"""A user's own layout of a board: card density, collapsed swimlanes, saved views.

Plain forms that work without JavaScript (each answers with a redirect back to the board view
it came from); the board's script sends the same forms in the background and leaves the page
as it is (`static/js/board.js`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from tracker import board
from tracker.accounts import actor
from tracker.board import filters, layout
from tracker.errors import DomainError, error_body
from tracker.operations import Change
from tracker.web import bp
from tracker.web.forms import FORM_EXPIRED, ActionForm
from tracker.web.outcomes import Saying, carry_out, in_words
from tracker.web.views.signin import safe_next


def _back(board_id: int) -> str:
    return safe_next(request.form.get("next")) or url_for("web.board_page", board_id=board_id)


def _sent_by_script() -> bool:
    """The board's script sends these forms asking for JSON: it is answered 204 (done) or an
    error body with its status, never a redirect it could not tell from success."""
    return request.accept_mimetypes.best == "application/json"


def _do(
    board_id: int,
    operation: Callable[[], Change[Any]],
    message: Saying[Any] | None,
    done_at: Callable[[Change[Any]], str] | None = None,
) -> ResponseReturnValue:
    back = _back(board_id)
    scripted = _sent_by_script()
    if not ActionForm().validate_on_submit():
        if scripted:
            return jsonify(error_body("csrf_failed", FORM_EXPIRED)), 400
        flash(FORM_EXPIRED, "error")
        return redirect(back)

    def refused(error: DomainError) -> ResponseReturnValue:
        if scripted:
            return jsonify(error_body(error.code, error.message, error.fields)), error.status
        if error.status in (403, 404):
            raise error
        flash(in_words(error), "error")
        return redirect(back)

    def answer(done: Change[Any]) -> ResponseReturnValue:
        if scripted:
            return "", 204
        return redirect(done_at(done) if done_at else back, code=303)

    quiet = message is None or scripted
    return carry_out(
        operation,
        answer=answer,
        refused=refused,
        message=message,
        unchanged=message or "Nothing changed.",
        flash_unplaced=False,
        say=(lambda _text, _kind: None) if quiet else flash,
    )


@bp.route("/boards/<int:board_id>/layout", methods=["POST"])
@login_required
def set_density(board_id: int) -> ResponseReturnValue:
    """Compact or comfortable cards (form field `density`), for this user on every board."""
    board.get_board(board_id)
    return _do(board_id, lambda: layout.set_density(actor(), request.form.get("density")), None)


@bp.route("/boards/<int:board_id>/swimlanes/<int:grand_challenge_id>", methods=["POST"])
@login_required
def set_swimlane(board_id: int, grand_challenge_id: int) -> ResponseReturnValue:
    """Collapse (`collapsed=1`) or expand (`collapsed=0`) one Grand Challenge's swimlane for
    this user."""
    board.get_board(board_id)
    collapsed = request.form.get("collapsed", "1") != "0"
    return _do(
        board_id,
        lambda: layout.set_swimlane_collapsed(actor(), board_id, grand_challenge_id, collapsed),
        None,
    )


@bp.route("/boards/<int:board_id>/views", methods=["POST"])
@login_required
def save_view(board_id: int) -> ResponseReturnValue:
    """Save the board's filter (the form carries the filter's fields) under `name`; answer
    with the board in that view."""
    board.get_board(board_id)
    args = {name: request.form.getlist(name) for name in filters.PARAMETERS if name in request.form}
    return _do(
        board_id,
        lambda: layout.save_view(actor(), board_id, request.form.get("name"), args),
        lambda done: f"Saved the view “{done.value.name}”.",
        done_at=lambda done: url_for("web.board_page", board_id=board_id) + "?" + done.value.query,
    )


@bp.route("/boards/<int:board_id>/views/<int:view_id>/delete", methods=["POST"])
@login_required
def delete_view(board_id: int, view_id: int) -> ResponseReturnValue:
    """Delete one of this user's saved views of the board."""
    board.get_board(board_id)
    return _do(
        board_id,
        lambda: layout.delete_view(actor(), board_id, view_id),
        lambda done: f"Deleted the view “{done.value.name}”.",
    )

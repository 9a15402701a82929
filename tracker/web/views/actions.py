"""The small forms on the board and initiative pages: move, claim, release, comment, archive.

Each reads its form, calls the same operation as the API, commits and publishes, and says
the outcome in a flash message on the page it came from."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required

from tracker import board
from tracker.accounts import actor
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import Claim, Organisation
from tracker.unit_of_work import commit
from tracker.web import bp
from tracker.web.forms import (
    ActionForm,
    ArchiveForm,
    ClaimForm,
    CommentForm,
    MoveForm,
    options,
    refusal,
)
from tracker.web.views.signin import safe_next


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


@bp.route("/initiatives/<int:initiative_id>/move", methods=["POST"])
@login_required
def move_action(initiative_id: int) -> ResponseReturnValue:
    initiative = board.get_initiative(initiative_id)
    the_board = board.load_board(initiative.board_id)
    form = MoveForm()
    form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    back = _back(url_for("web.board_page", board_id=the_board.id))
    if not form.validate_on_submit():
        flash(refusal(form, "Choose a stage to move to."), "error")
        return redirect(back)
    try:
        change = board.move(
            actor(), initiative_id, form.version.data, form.stage_id.data, form.position.data
        )
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        flash(_friendly(error), "error")
        return redirect(back)
    commit(change.event)
    stage = next(s.name for s in the_board.stages if s.id == form.stage_id.data)
    flash(f"Moved “{initiative.title}” to {stage}.", "success")
    return redirect(back + f"#initiative-{initiative_id}" if "#" not in back else back)


def _friendly(error: DomainError) -> str:
    if error.status == 409 and error.current is not None:
        return (
            "Someone else changed this initiative a moment ago, so nothing was changed. "
            "The board now shows the current state; please try again."
        )
    return error.message


@bp.route("/initiatives/<int:initiative_id>/claims", methods=["POST"])
@login_required
def claim_action(initiative_id: int) -> ResponseReturnValue:
    user = actor()
    form = ClaimForm()
    # Any organisation parses; whether this user may act for it is the policy's call (403).
    form.organisation_id.choices = options(
        (o.id, o.name) for o in db.session.scalars(sa.select(Organisation))
    )
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        flash(refusal(form, "Choose a role and an organisation you can act for."), "error")
        return redirect(back)
    try:
        change = board.claim(user, initiative_id, form.role_type_id.data, form.organisation_id.data)
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        flash(error.message, "error")
        return redirect(back)
    data = change.event.data if change.event else {}
    commit(change.event)
    flash(f"{data.get('organisation')} now holds {data.get('role')}.", "success")
    return redirect(back)


@bp.route("/claims/<int:claim_id>/release", methods=["POST"])
@login_required
def release_action(claim_id: int) -> ResponseReturnValue:
    existing = db.session.get(Claim, claim_id)
    if existing is None:
        abort(404)
    initiative_id = existing.initiative_id
    form = ActionForm()
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(back)
    change = board.release(actor(), claim_id)
    data = change.event.data if change.event else {}
    commit(change.event)
    flash(f"{data.get('organisation')} released {data.get('role')}.", "success")
    return redirect(back)


@bp.route("/initiatives/<int:initiative_id>/comments", methods=["POST"])
@login_required
def comment_action(initiative_id: int) -> ResponseReturnValue:
    form = CommentForm()
    back = url_for("web.initiative_page", initiative_id=initiative_id)
    if not form.validate_on_submit():
        problems = " ".join(form.body.errors)
        flash(
            f"{form.body.label.text}: {problems}"
            if problems
            else "The form expired; please try again.",
            "error",
        )
        return redirect(back)
    try:
        change = board.add_comment(actor(), initiative_id, form.body.data)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
        return redirect(back)
    commit(change.event)
    flash("Note added.", "success")
    return redirect(back + "#comments")


@bp.route("/initiatives/<int:initiative_id>/archive", methods=["POST"])
@login_required
def archive_action(initiative_id: int) -> ResponseReturnValue:
    form = ArchiveForm()
    archived = request.form.get("archived", "1") == "1"
    back = url_for("web.initiative_page", initiative_id=initiative_id)
    if not form.validate_on_submit():
        flash(refusal(form, "Reload the page and try again."), "error")
        return redirect(back)
    try:
        change = board.archive(actor(), initiative_id, form.version.data, archived)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(_friendly(error), "error")
        return redirect(back)
    commit(change.event)
    flash("Initiative archived." if archived else "Initiative restored.", "success")
    return redirect(back)

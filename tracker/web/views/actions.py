"""The small forms on the board and initiative pages: move, claim, release, comment, archive.

Each reads its form, calls the same operation as the API, commits and publishes, and says
the outcome in a flash message on the page it came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required

from tracker import board, policy
from tracker.accounts import actor
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import Claim, Organisation
from tracker.operations import Change
from tracker.web import bp
from tracker.web.forms import (
    FORM_EXPIRED,
    ActionForm,
    ArchiveForm,
    ClaimForm,
    CommentForm,
    MoveForm,
    options,
    refusal,
)
from tracker.web.outcomes import Saying, carry_out, confirm_on_card, in_words, recorded
from tracker.web.views.signin import safe_next


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def _act(
    operation: Callable[[], Change[Any]],
    back: str,
    message: Saying[Any],
    *,
    done_at: str | None = None,
    error_pages: tuple[int, ...] = (403,),
    unchanged: Saying[Any] = "Nothing changed.",
    say: Callable[[str, str], object] = flash,
) -> ResponseReturnValue:
    """Run an action's operation (`carry_out`): done, say `message` on the page at `done_at`
    (default `back`); refused, say why on the page at `back`, except for the statuses in
    `error_pages` (not allowed; for some actions, no such initiative), which get the error
    page."""

    def refused(error: DomainError) -> ResponseReturnValue:
        if error.status in error_pages:
            raise error
        flash(_friendly(error), "error")
        return redirect(back)

    return carry_out(
        operation,
        answer=lambda _done: redirect(done_at or back),
        refused=refused,
        message=message,
        unchanged=unchanged,
        flash_unplaced=False,
        say=say,
    )


@bp.route("/initiatives/<int:initiative_id>/move", methods=["POST"])
@login_required
def move_action(initiative_id: int) -> ResponseReturnValue:
    """Move… on a card: stage, Grand Challenge and position (from 1). Back on the board (its
    filter kept), the moved card has the focus and says what happened (`confirm_on_card`)."""
    initiative = board.get_initiative(initiative_id)
    # Permission before validation: someone who may not move it is told so, whatever the form.
    policy.require(
        policy.may_edit(actor(), initiative),
        "Only envoys, admins and organisations involved in this initiative can move it.",
    )
    title = initiative.title
    the_board = board.load_board(initiative.board_id)
    form = MoveForm()
    form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    board_url = url_for("web.board_page", board_id=the_board.id)
    back = _back(board_url)
    if not form.validate_on_submit():
        otherwise = "Choose a stage to move to."
        if "position" in form.errors:
            otherwise = "Position: must be a whole number, 1 (the top) or more, or empty."
        elif "grand_challenge_id" in form.errors:
            otherwise = "Grand Challenge: choose one of this board's Grand Challenges."
        flash(refusal(form, otherwise), "error")
        return redirect(back)
    stages = {s.id: s.name for s in the_board.stages}
    lanes = {lane.id: lane.name for lane in the_board.grand_challenges}
    lane_id = form.grand_challenge_id.data
    position = form.position.data
    was_lane = initiative.grand_challenge_id

    def moved(done: Change[Any]) -> str:
        # Where the operation put it (a position past the end is last), not what was typed.
        to = recorded(done, "to") or {}
        where = stages.get(to.get("stage_id"), "")
        if to.get("grand_challenge_id") != was_lane:
            where += f" in {lanes.get(to.get('grand_challenge_id'), '')}"
        if position is not None:
            where += f", position {int(to.get('position', 0)) + 1}"
        return f"Moved “{title}” to {where}."

    on_board = urlsplit(back).path == board_url
    return _act(
        lambda: board.move(
            actor(),
            initiative_id,
            form.version.data,
            form.stage_id.data,
            None if position is None else position - 1,
            lane_id,
        ),
        back,
        moved,
        unchanged=f"“{title}” is already there: nothing changed.",
        done_at=back if on_board or "#" in back else back + f"#initiative-{initiative_id}",
        say=(lambda sentence, kind: confirm_on_card(the_board.id, initiative_id, sentence, kind))
        if on_board
        else flash,
    )


def _friendly(error: DomainError) -> str:
    if error.status == 409 and error.current is not None:
        return (
            "Someone else changed this initiative a moment ago, so nothing was changed. "
            "The board now shows the current state; please try again."
        )
    return in_words(error)


@bp.route("/initiatives/<int:initiative_id>/claims", methods=["POST"])
@login_required
def claim_action(initiative_id: int) -> ResponseReturnValue:
    user = actor()
    # No such initiative is the 404 page, as for every other action on one.
    board.get_initiative(initiative_id)
    form = ClaimForm()
    # Any organisation parses; whether this user may act for it is the policy's call (403).
    form.organisation_id.choices = options(
        (o.id, o.name) for o in db.session.scalars(sa.select(Organisation))
    )
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        flash(refusal(form, "Choose a role and an organisation you can act for."), "error")
        return redirect(back)
    return _act(
        lambda: board.claim(user, initiative_id, form.role_type_id.data, form.organisation_id.data),
        back,
        lambda done: f"{recorded(done, 'organisation')} now holds {recorded(done, 'role')}.",
    )


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
        flash(FORM_EXPIRED, "error")
        return redirect(back)
    return _act(
        lambda: board.release(actor(), claim_id),
        back,
        lambda done: f"{recorded(done, 'organisation')} released {recorded(done, 'role')}.",
        error_pages=(403, 404),
    )


@bp.route("/initiatives/<int:initiative_id>/comments", methods=["POST"])
@login_required
def comment_action(initiative_id: int) -> ResponseReturnValue:
    board.get_initiative(initiative_id)  # no such initiative: the 404 page, whatever the form
    form = CommentForm()
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        problems = " ".join(form.body.errors)
        flash(
            f"{form.body.label.text}: {problems}" if problems else FORM_EXPIRED,
            "error",
        )
        return redirect(back)
    return _act(
        lambda: board.add_comment(actor(), initiative_id, form.body.data),
        back,
        "Note added.",
        done_at=back + "#comments",
        error_pages=(403, 404),
    )


@bp.route("/initiatives/<int:initiative_id>/archive", methods=["GET"])
@login_required
def archive_page(initiative_id: int) -> ResponseReturnValue:
    """Archiving asks first, saying what it does and where the initiative can be found and
    restored afterwards."""
    initiative = board.get_initiative(initiative_id)
    policy.require(
        policy.may(actor(), "archive"), "Only envoys and admins can archive initiatives."
    )
    if initiative.archived:
        flash("This initiative is archived already.", "info")
        return redirect(url_for("web.initiative_page", initiative_id=initiative_id))
    return render_template(
        "web/archive_confirm.html",
        initiative=initiative,
        board=board.get_board(initiative.board_id),
    )


@bp.route("/initiatives/<int:initiative_id>/archive", methods=["POST"])
@login_required
def archive_action(initiative_id: int) -> ResponseReturnValue:
    form = ArchiveForm()
    archived = request.form.get("archived", "1") == "1"
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        flash(refusal(form, "Reload the page and try again."), "error")
        return redirect(back)
    return _act(
        lambda: board.archive(actor(), initiative_id, form.version.data, archived),
        back,
        "Initiative archived." if archived else "Initiative restored.",
        error_pages=(403, 404),
    )

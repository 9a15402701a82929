"""The initiative page and the forms that propose and edit an initiative."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

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

from tracker import board, events, following, limits, mentions, policy
from tracker.accounts import actor
from tracker.board import matching
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import (
    BRIEF_MAX,
    MESSAGE_MAX,
    Board,
    Claim,
    Initiative,
    Organisation,
    User,
    utcnow,
)
from tracker.unit_of_work import commit
from tracker.vocabulary import field_list
from tracker.web import bp
from tracker.web.forms import (
    ArchiveForm,
    ClaimForm,
    CommentForm,
    InitiativeForm,
    MoveForm,
    options,
)
from tracker.web.history import describe
from tracker.web.outcomes import in_words, place_reasons
from tracker.web.views.board import names_on


@bp.route("/initiatives/<int:initiative_id>")
@login_required
def initiative_page(initiative_id: int) -> ResponseReturnValue:
    return render_template("web/initiative.html", **_initiative_context(initiative_id))


@bp.route("/initiatives/<int:initiative_id>/details")
@login_required
def initiative_details(initiative_id: int) -> ResponseReturnValue:
    """The initiative page's content without the page around it, for the board's card
    dialog: its forms come back here, so the dialog shows the outcome (flashed) and the
    initiative as it now is."""
    return render_template(
        "web/initiative_details.html",
        **_initiative_context(initiative_id),
        h=2,
        next_url=url_for("web.initiative_details", initiative_id=initiative_id),
    )


def _initiative_context(initiative_id: int) -> dict[str, Any]:
    """What the initiative's page (and its dialog on the board) shows, for the signed-in
    viewer. 404 for no such initiative."""
    # The board (and its last_seq, which the live script joins from) before the initiative:
    # a change committed in between is then replayed, not lost.
    board_id = db.session.scalar(
        sa.select(Initiative.board_id).where(Initiative.id == initiative_id)
    )
    if board_id is None:
        abort(404)
    the_board = board.load_board(board_id)
    initiative = board.get_initiative(initiative_id)
    user = actor()
    organisations = _claimable_organisations(user)
    claim_form = ClaimForm()
    claim_form.organisation_id.choices = options((o.id, o.name) for o in organisations)
    claim_form.organisation_id.data = user.organisation_id
    history = [
        (e, describe(events.envelope(e), names_on(the_board)))
        for e in events.for_initiative(initiative.id)
    ]
    holders: dict[int, list[Claim]] = defaultdict(list)
    for c in initiative.claims:
        holders[c.role_type_id].append(c)
    move_form = MoveForm()
    move_form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    move_form.stage_id.data = initiative.stage_id
    found = matching.overview(user, initiative)
    wanted_now = {w.role_type_id for w in found.wanted}
    mine = user.organisation_id
    return {
        "matching": found,
        # By-request roles the viewer's organisation has asked for (an open request).
        "asked": {r.role_type_id for r in found.requests if r.organisation_id == mine},
        "wantable": [
            role
            for role in the_board.role_types
            if role.id not in wanted_now
            and not (role.max_holders is not None and len(holders[role.id]) >= role.max_holders)
        ],
        "may_act_for_any": policy.may(user, "act_for_any_organisation"),
        "may_request": policy.may(user, "request"),
        # Members register their organisation's interest, once, where it holds no role.
        "may_register": policy.may(user, "request")
        and not policy.may(user, "act_for_any_organisation")
        and not initiative.archived
        and not any(i.organisation_id == mine for i in found.interests)
        and not any(c.organisation_id == mine for c in initiative.claims),
        "brief_max": BRIEF_MAX,
        "message_max": MESSAGE_MAX,
        "initiative": initiative,
        "board": the_board,
        "history": history,
        "holders": holders,
        "claim_form": claim_form,
        "comment_form": CommentForm(),
        "archive_form": ArchiveForm(),
        "move_form": move_form,
        "may_edit": policy.may_edit(user, initiative),
        "may_claim": policy.may(user, "claim"),
        "may_comment": policy.may(user, "comment"),
        "may_archive": policy.may(user, "archive"),
        "watched": following.watching(user, initiative.id),
        "mention_names": mentions.names_in([c.body for c in initiative.comments]),
        "now": utcnow(),
    }


def _claimable_organisations(user: User) -> list[Organisation]:
    if policy.may(user, "act_for_any_organisation"):
        return list(
            db.session.scalars(
                sa.select(Organisation).where(Organisation.active).order_by(Organisation.name)
            )
        )
    return [user.organisation]


def _initiative_form(the_board: Board, user: User, **kwargs: Any) -> InitiativeForm:
    form = InitiativeForm(**kwargs)
    form.grand_challenge_id.choices = options((g.id, g.name) for g in the_board.grand_challenges)
    form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    form.proposing_organisation_id.choices = options(
        (o.id, o.name) for o in _claimable_organisations(user)
    )
    return form


def _field_errors(form: InitiativeForm, error: DomainError) -> None:
    """The reasons on their fields, and the message above the form (always: the page's
    error summary reads from it)."""
    place_reasons(form, error)
    flash(in_words(error), "error")


@bp.route("/boards/<int:board_id>/initiatives/new", methods=["GET", "POST"])
@login_required
def propose_page(board_id: int) -> ResponseReturnValue:
    the_board = board.load_board(board_id)
    user = actor()
    if not policy.may(user, "propose"):
        abort(403)
    form = _initiative_form(the_board, user)
    if request.method == "GET":
        form.proposing_organisation_id.data = user.organisation_id
        stage_id = limits.number_arg(request.args.get("stage_id"))
        if stage_id is not None:
            form.stage_id.data = stage_id
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in board.EDITABLE_FIELDS}
        fields["stage_id"] = form.stage_id.data
        fields["proposing_organisation_id"] = form.proposing_organisation_id.data
        try:
            change = board.propose(user, board_id, fields)
        except DomainError as error:
            db.session.rollback()
            _field_errors(form, error)
        else:
            new_id = change.value.id
            commit(change.event)
            flash("Initiative proposed.", "success")
            return redirect(url_for("web.initiative_page", initiative_id=new_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "web/initiative_form.html", form=form, board=the_board, initiative=None
    ), status


@bp.route("/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
@login_required
def edit_page(initiative_id: int) -> ResponseReturnValue:
    initiative = board.get_initiative(initiative_id)
    user = actor()
    if not policy.may_edit(user, initiative):
        abort(403)
    the_board = board.load_board(initiative.board_id)
    form = _initiative_form(the_board, user, obj=initiative if request.method == "GET" else None)
    del form.stage_id
    del form.proposing_organisation_id
    if request.method == "GET":
        form.version.data = str(initiative.version)
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in board.EDITABLE_FIELDS}
        version = limits.number_arg(form.version.data)
        version = -1 if version is None else version
        try:
            change = board.edit(user, initiative_id, version, changes)
        except DomainError as error:
            db.session.rollback()
            if error.status == 409:
                flash(
                    f"Someone else changed the {field_list(error.fields)} while you "
                    "were editing. Nothing was saved: compare their values with yours below "
                    "and choose which to keep.",
                    "error",
                )
                # The template shows theirs against yours and offers both choices; it reads
                # the current initiative and version from `current`.
                return render_template(
                    "web/initiative_form.html",
                    form=_initiative_form(
                        the_board, user, obj=board.get_initiative(initiative_id, fresh=True)
                    ),
                    board=the_board,
                    initiative=initiative,
                    yours=changes,
                ), 409
            _field_errors(form, error)
        else:
            commit(change.event)
            flash("Changes saved." if change.event else "Nothing changed.", "success")
            return redirect(url_for("web.initiative_page", initiative_id=initiative_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "web/initiative_form.html", form=form, board=the_board, initiative=initiative
    ), status

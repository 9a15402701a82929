"""The initiative page's forms for matching organisations to it (issue 15): mark a role
wanted or withdraw it; ask for a by-request role; approve, decline or withdraw a request;
register interest; invite to a role, close; accept or decline an invitation. Each calls the
same operation as the API (`tracker.board.matching`), commits and publishes, and says the
outcome on the page it came from. They work without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from tracker import limits
from tracker.accounts import actor
from tracker.board import matching
from tracker.errors import DomainError, NotFound
from tracker.extensions import db
from tracker.models import Interest, RoleRequest
from tracker.operations import Change
from tracker.web import bp
from tracker.web.forms import FORM_EXPIRED, ActionForm
from tracker.web.outcomes import Saying, carry_out, in_words
from tracker.web.views.signin import safe_next


def _number(name: str) -> Any:
    """A whole number from the form, as the operations take it. Digits beyond any id are 0,
    which names nothing (the operation says so); anything else is passed on as typed, for
    the operation to refuse naming the field."""
    raw = request.form.get(name, "")
    number = limits.number_arg(raw)
    if number is None and raw.strip().lstrip("-").isdigit():
        return 0
    return raw if number is None else number


def _do(
    initiative_id: int, operation: Callable[[], Change[Any]], message: Saying[Any]
) -> ResponseReturnValue:
    back = safe_next(request.form.get("next")) or url_for(
        "web.initiative_page", initiative_id=initiative_id
    )
    if not ActionForm().validate_on_submit():
        flash(FORM_EXPIRED, "error")
        return redirect(back)

    def refused(error: DomainError) -> ResponseReturnValue:
        if error.status in (403, 404):
            raise error
        flash(in_words(error), "error")
        return redirect(back)

    return carry_out(
        operation,
        answer=lambda _done: redirect(back),
        refused=refused,
        message=message,
        flash_unplaced=False,
    )


def _sentence(template: str) -> Callable[[Change[Any]], str]:
    """What a page says when done: `template` filled from the event's data ("{role}")."""
    return lambda done: template.format_map(done.event.data if done.event else {})


def _initiative_of(model: type[RoleRequest] | type[Interest], row_id: int) -> int:
    found = db.session.scalar(sa.select(model.initiative_id).where(model.id == row_id))
    if found is None:
        what = "Request" if model is RoleRequest else "Interest"
        raise NotFound(f"{what} {row_id} does not exist.", {f"{what.lower()}_id": "no such"})
    return found


@bp.route("/initiatives/<int:initiative_id>/wanted", methods=["POST"])
@login_required
def want_role_action(initiative_id: int) -> ResponseReturnValue:
    return _do(
        initiative_id,
        lambda: matching.want_role(
            actor(), initiative_id, _number("role_type_id"), request.form.get("brief", "")
        ),
        _sentence("{role} is marked wanted."),
    )


@bp.route("/initiatives/<int:initiative_id>/wanted/<int:role_type_id>/withdraw", methods=["POST"])
@login_required
def withdraw_wanted_action(initiative_id: int, role_type_id: int) -> ResponseReturnValue:
    return _do(
        initiative_id,
        lambda: matching.withdraw_wanted(actor(), initiative_id, role_type_id),
        _sentence("{role} is no longer wanted."),
    )


@bp.route("/initiatives/<int:initiative_id>/requests", methods=["POST"])
@login_required
def request_role_action(initiative_id: int) -> ResponseReturnValue:
    me = actor()
    return _do(
        initiative_id,
        lambda: matching.request_role(
            me,
            initiative_id,
            _number("role_type_id"),
            _number("organisation_id") if "organisation_id" in request.form else me.organisation_id,
            request.form.get("message", ""),
        ),
        _sentence(
            "{organisation} asked for {role}: the initiative's lead organisation or an envoy "
            "will decide."
        ),
    )


@bp.route("/requests/<int:request_id>/approve", methods=["POST"])
@login_required
def approve_request_action(request_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(RoleRequest, request_id),
        lambda: matching.approve_request(actor(), request_id),
        _sentence("Approved: {organisation} now holds {role}."),
    )


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@login_required
def decline_request_action(request_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(RoleRequest, request_id),
        lambda: matching.decline_request(actor(), request_id, request.form.get("reason", "")),
        _sentence("Declined {organisation}'s request for {role}."),
    )


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw_request_action(request_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(RoleRequest, request_id),
        lambda: matching.withdraw_request(actor(), request_id),
        _sentence("The request for {role} is withdrawn."),
    )


@bp.route("/initiatives/<int:initiative_id>/interests", methods=["POST"])
@login_required
def register_interest_action(initiative_id: int) -> ResponseReturnValue:
    me = actor()
    return _do(
        initiative_id,
        lambda: matching.register_interest(
            me,
            initiative_id,
            _number("organisation_id") if "organisation_id" in request.form else me.organisation_id,
            request.form.get("message", ""),
        ),
        _sentence(
            "{organisation}'s interest is registered: the initiative's lead organisation and "
            "the envoys see it."
        ),
    )


@bp.route("/interests/<int:interest_id>/invite", methods=["POST"])
@login_required
def invite_action(interest_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(Interest, interest_id),
        lambda: matching.invite(actor(), interest_id, _number("role_type_id")),
        _sentence("{organisation} is invited to take {role}."),
    )


@bp.route("/interests/<int:interest_id>/accept", methods=["POST"])
@login_required
def accept_invitation_action(interest_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(Interest, interest_id),
        lambda: matching.accept_invitation(actor(), interest_id),
        _sentence("Accepted: {organisation} now holds {role}."),
    )


@bp.route("/interests/<int:interest_id>/decline", methods=["POST"])
@login_required
def decline_invitation_action(interest_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(Interest, interest_id),
        lambda: matching.decline_invitation(actor(), interest_id, request.form.get("reason", "")),
        _sentence("Declined the invitation to take {role}."),
    )


@bp.route("/interests/<int:interest_id>/close", methods=["POST"])
@login_required
def close_interest_action(interest_id: int) -> ResponseReturnValue:
    return _do(
        _initiative_of(Interest, interest_id),
        lambda: matching.close_interest(actor(), interest_id, request.form.get("reason", "")),
        _sentence("{organisation}'s interest is closed."),
    )

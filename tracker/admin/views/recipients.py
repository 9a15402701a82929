"""A board's weekly report by e-mail, on the board's administration page: who gets it (people
and plain addresses), adding and removing them, and whether mail can go out at all (the
outbox's state: messages waiting while no mail server is configured, or failing)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, redirect, url_for
from flask.typing import ResponseReturnValue

from tracker.accounts import actor
from tracker.admin import recipients
from tracker.admin.forms import RecipientAddressForm, RecipientPersonForm
from tracker.admin.views import bp, form_expired
from tracker.admin.views.boards import _board_page
from tracker.extensions import db
from tracker.mail import outbox, transport
from tracker.models import Board, Organisation, ReportRecipient, User, utcnow
from tracker.web.forms import ActionForm, options
from tracker.web.outcomes import carry_out, invalid_form_status

ANCHOR = "weekly-mail"


def person_choices() -> list[tuple[int, str]]:
    """Active people, by name, with their organisation."""
    rows = db.session.execute(
        sa.select(User.id, User.name, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.active.is_(True), Organisation.active.is_(True))
        .order_by(User.name)
    ).all()
    return [(user_id, f"{name} ({organisation})") for user_id, name, organisation in rows]


def mail_context(board_id: int) -> dict[str, object]:
    """What the board page's weekly-mail section shows."""
    config = current_app.config
    return {
        "recipients": recipients.listed(board_id),
        "mail_configured": transport.configured(config),
        "mail_status": outbox.status(utcnow()),
        "send_at": config.get("WEEKLY_REPORT_SEND_AT", "08:00"),
    }


def person_form(formdata: object = None) -> RecipientPersonForm:
    form = RecipientPersonForm(
        prefix="recipient-person", **({} if formdata else {"formdata": None})
    )
    form.user_id.choices = options(person_choices())
    return form


def _back(board_id: int) -> str:
    return url_for("admin.board_page", board_id=board_id) + f"#{ANCHOR}"


def _board_or_404(board_id: int) -> None:
    if db.session.get(Board, board_id) is None:
        abort(404)


@bp.route("/boards/<int:board_id>/recipients/person", methods=["POST"])
def add_recipient_person(board_id: int) -> ResponseReturnValue:
    """Add a person to the board's weekly report list."""
    _board_or_404(board_id)
    form = person_form(formdata=True)
    if not form.validate_on_submit():
        return _board_page(board_id, form), invalid_form_status(form)
    return carry_out(
        lambda: recipients.add_person(actor(), board_id, form.user_id.data),
        form=form,
        refused=lambda error: (_board_page(board_id, form), error.status),
        message=lambda done: f"{done.value.user.name} will get the weekly report.",
        answer=lambda _done: redirect(_back(board_id)),
    )


@bp.route("/boards/<int:board_id>/recipients/address", methods=["POST"])
def add_recipient_address(board_id: int) -> ResponseReturnValue:
    """Add a plain address to the board's weekly report list."""
    _board_or_404(board_id)
    form = RecipientAddressForm(prefix="recipient-address")
    if not form.validate_on_submit():
        return _board_page(board_id, form), invalid_form_status(form)
    return carry_out(
        lambda: recipients.add_address(actor(), board_id, form.address.data),
        form=form,
        refused=lambda error: (_board_page(board_id, form), error.status),
        message=lambda done: f"{done.value.address} will get the weekly report.",
        answer=lambda _done: redirect(_back(board_id)),
    )


@bp.route("/recipients/<int:recipient_id>/remove", methods=["POST"])
def remove_recipient(recipient_id: int) -> ResponseReturnValue:
    """Take someone off a board's weekly report list."""
    recipient = db.session.get(ReportRecipient, recipient_id)
    if recipient is None:
        abort(404)
    board_id = recipient.board_id
    if not ActionForm().validate_on_submit():
        return form_expired(_back(board_id))
    return carry_out(
        lambda: recipients.remove(actor(), recipient_id),
        message="Removed from the weekly report.",
        answer=lambda _done: redirect(_back(board_id)),
        refused=lambda error: redirect(_back(board_id)),
    )

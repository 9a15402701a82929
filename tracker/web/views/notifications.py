"""`/notifications`: what changed on what the signed-in person follows, newest first, each
linking to its initiative; marking one or all read; watching and no longer watching an
initiative; envoys following a whole board or Grand Challenge. A person sees and marks only
their own (someone else's is not found)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from tracker import events, following, limits, notifications
from tracker.accounts import actor
from tracker.web import bp
from tracker.web.forms import FORM_EXPIRED, ActionForm
from tracker.web.history import describe
from tracker.web.outcomes import carry_out
from tracker.web.views.signin import safe_next


@bp.route("/notifications")
@login_required
def notifications_page() -> ResponseReturnValue:
    """Newest first, 50 a page (`?page=2`); `?unread=1` only the unread ones."""
    user = actor()
    page = limits.number_arg(request.args.get("page")) or 1
    unread_only = request.args.get("unread") == "1"
    listed = notifications.entries(user.id, unread_only=unread_only, page=page)
    names = notifications.sentence_names()
    items = [(entry, describe(events.envelope(entry.event), names)) for entry in listed]
    return render_template(
        "web/notifications.html",
        items=items,
        unread=notifications.unread_count(user.id),
        unread_only=unread_only,
        page=page,
        more=len(listed) == notifications.PAGE_SIZE,
    )


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_notification_read(notification_id: int) -> ResponseReturnValue:
    back = _back(url_for("web.notifications_page"))
    if not ActionForm().validate_on_submit():
        flash(FORM_EXPIRED, "error")
        return redirect(back)
    return carry_out(
        lambda: notifications.mark_read(actor(), notification_id),
        message="Marked as read.",
        unchanged="It was already read.",
        answer=lambda _done: redirect(back),
        refused=lambda error: abort(error.status),
        flash_unplaced=False,
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_notifications_read() -> ResponseReturnValue:
    back = _back(url_for("web.notifications_page"))
    if not ActionForm().validate_on_submit():
        flash(FORM_EXPIRED, "error")
        return redirect(back)
    return carry_out(
        lambda: notifications.mark_all_read(actor()),
        message=lambda done: f"Marked {done.value} as read.",
        unchanged="Nothing was unread.",
        answer=lambda _done: redirect(back),
        refused=lambda error: abort(error.status),
        flash_unplaced=False,
    )


@bp.route("/initiatives/<int:initiative_id>/watch", methods=["POST"])
@login_required
def watch_action(initiative_id: int) -> ResponseReturnValue:
    """Form field `watching`: 1 to watch, 0 to stop watching."""
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not ActionForm().validate_on_submit():
        flash(FORM_EXPIRED, "error")
        return redirect(back)
    value = {"1": True, "0": False}.get(request.form.get("watching", ""))
    return carry_out(
        lambda: following.set_watching(actor(), initiative_id, value),
        message=lambda done: (
            "You are watching it: its changes come to your notifications."
            if done.value
            else "You no longer watch it."
        ),
        unchanged="Nothing changed.",
        answer=lambda _done: redirect(back),
        refused=lambda error: abort(404) if error.status == 404 else redirect(back),
    )


@bp.route("/boards/<int:board_id>/follows", methods=["POST"])
@login_required
def follow_action(board_id: int) -> ResponseReturnValue:
    """Follow the whole board (`grand_challenge_id` empty) or one Grand Challenge of it."""
    back = _back(url_for("web.board_page", board_id=board_id))
    if not ActionForm().validate_on_submit():
        flash(FORM_EXPIRED, "error")
        return redirect(back)
    raw = request.form.get("grand_challenge_id", "").strip()
    lane = limits.number_arg(raw) if raw else None
    if raw and lane is None:
        flash("Grand Challenge: choose one of this board's Grand Challenges.", "error")
        return redirect(back)
    return carry_out(
        lambda: following.follow_board(actor(), board_id, lane),
        message="You follow it: its changes come to your notifications.",
        unchanged="You follow it already.",
        answer=lambda _done: redirect(back),
        refused=lambda error: abort(error.status) if error.status in (403, 404) else redirect(back),
    )


@bp.route("/follows/<int:follow_id>/delete", methods=["POST"])
@login_required
def unfollow_action(follow_id: int) -> ResponseReturnValue:
    back = _back(url_for("web.notifications_page"))
    if not ActionForm().validate_on_submit():
        flash(FORM_EXPIRED, "error")
        return redirect(back)
    return carry_out(
        lambda: following.unfollow_board(actor(), follow_id),
        message="You no longer follow it.",
        answer=lambda _done: redirect(back),
        refused=lambda error: abort(404),
        flash_unplaced=False,
    )

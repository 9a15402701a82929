"""Everyone's API tokens: the list, and revoking any of them."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tracker import unit_of_work
from tracker.accounts import actor
from tracker.admin import tokens
from tracker.admin.views import bp, form_expired
from tracker.extensions import db
from tracker.models import ApiToken
from tracker.web.forms import ActionForm
from tracker.web.outcomes import flash_done


@bp.route("/tokens")
def tokens_page() -> ResponseReturnValue:
    """Everyone's API tokens (the revoked ones too with `?revoked=1`)."""
    include_revoked = request.args.get("revoked") == "1"
    return render_template(
        "admin/tokens.html",
        tokens=tokens.everyone(actor(), include_revoked=include_revoked),
        include_revoked=include_revoked,
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke anyone's API token; back to the tokens page or the person's page."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if request.form.get("back") == "person":
        back = url_for("admin.person_page", user_id=token.user_id) + "#tokens"
    else:
        back = url_for("admin.tokens_page")
    if not ActionForm().validate_on_submit():
        return form_expired(back)
    done = tokens.revoke(actor(), token_id)
    owner, name = done.value.user.name, done.value.name
    unit_of_work.commit_change(done)
    flash_done(
        done,
        f"Revoked {owner}'s token “{name}”: it stopped working now.",
        "That token was already revoked.",
    )
    return redirect(back)

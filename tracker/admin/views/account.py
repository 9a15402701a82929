"""Each person's own account pages: their API tokens (list, create, revoke), what they receive
by e-mail, signing out everywhere, and setting a password from a one-time link (no sign-in
needed for that one)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required, logout_user

from tracker import accounts, realtime, unit_of_work
from tracker.accounts import actor
from tracker.admin import links, tokens
from tracker.admin.forms import MailForm, SetPasswordForm, TokenForm
from tracker.admin.views import account_bp as bp
from tracker.admin.views import form_expired
from tracker.mail import preferences
from tracker.models import User
from tracker.operations import Change
from tracker.web.forms import ActionForm
from tracker.web.outcomes import carry_out, flash_done, invalid_form_status


def _account_page(form: TokenForm | None = None, mail_form: MailForm | None = None) -> str:
    form = form or TokenForm(prefix="token", formdata=None)
    if mail_form is None:
        chosen = preferences.of(actor().id)
        mail_form = MailForm(
            prefix="mail",
            formdata=None,
            mention_email=chosen.mention_email,
            digest=chosen.digest,
        )
    return render_template(
        "account/account.html",
        tokens=tokens.of_user(actor().id),
        form=form,
        mail_form=mail_form,
        error_forms=[f for f in (form, mail_form) if f.errors],
    )


@bp.route("/mail", methods=["POST"])
@login_required
def set_mail() -> ResponseReturnValue:
    """Your e-mail preferences: mentions at once, a daily, weekly or no digest."""
    form = MailForm(prefix="mail")
    if not form.validate_on_submit():
        return _account_page(mail_form=form), invalid_form_status(form)
    return carry_out(
        lambda: preferences.choose(actor(), bool(form.mention_email.data), form.digest.data),
        form=form,
        refused=lambda error: (_account_page(mail_form=form), error.status),
        message="Saved what you receive by e-mail.",
        unchanged="That is what you receive already.",
        answer=lambda _done: redirect(url_for("account.index") + "#mail"),
    )


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Your own API tokens, the form to create one, and signing out everywhere."""
    return _account_page()


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token() -> ResponseReturnValue:
    """Create one of your API tokens and show its secret, this once only."""
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _account_page(form), invalid_form_status(form)
    return carry_out(
        lambda: tokens.create(actor(), form.name.data),
        form=form,
        flash_unplaced=False,
        refused=lambda error: (_account_page(form), error.status),
        # Shown in this response only: the secret is never stored, nor put in a cookie.
        answer=lambda done: (
            render_template(
                "account/token_created.html", name=done.value.row.name, secret=done.value.secret
            ),
            201,
        ),
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of your API tokens (an administrator may revoke anyone's)."""
    if not ActionForm().validate_on_submit():
        return form_expired(url_for("account.index"))
    done = tokens.revoke(actor(), token_id)  # someone else's token: 403 unless an admin
    name = done.value.name
    unit_of_work.commit_change(done)
    flash_done(
        done,
        f"Revoked the token “{name}”: it stopped working now.",
        "That token was already revoked.",
    )
    return redirect(url_for("account.index") + "#tokens")


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere() -> ResponseReturnValue:
    """End all your login sessions, on every device and browser, this one too."""
    if not ActionForm().validate_on_submit():
        return form_expired(url_for("account.index"))
    unit_of_work.commit_change(tokens.sign_out_everywhere(actor()))
    logout_user()
    session.clear()
    flash("You are signed out on every device and browser. Sign in again here.", "info")
    return redirect(url_for("web.login"))


@bp.route("/set-password/<secret>", methods=["GET", "POST"])
def set_password(secret: str) -> ResponseReturnValue:
    """The page an invitation or reset link opens; whoever holds the link may use it once."""
    link = links.find_valid(secret)
    if link is None:
        return render_template("account/link_invalid.html", message=links.INVALID_LINK), 410
    person, purpose = link.user, link.purpose
    form = SetPasswordForm()

    def page() -> ResponseReturnValue:
        return render_template(
            "account/set_password.html",
            form=form,
            person=person,
            purpose=purpose,
            error_forms=[form] if form.errors else [],
        ), (422 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    # The user is loaded first in every request, so this is this browser's login session
    # as it was before the link is redeemed.
    here = accounts.current_login_session()

    def redeem() -> Change[User]:
        done = links.redeem(secret, form.password.data or "")
        # Nobody stays signed in as someone else on this browser, and the new password is
        # used straight away.
        accounts.end_login_session(here, accounts.SIGNED_OUT)
        return done

    def signed_out() -> ResponseReturnValue:
        realtime.end_login_session(here)
        logout_user()
        session.clear()
        flash(
            "Your password is set. Sign in with your e-mail address and your new password.",
            "success",
        )
        return redirect(url_for("web.login"))

    return carry_out(
        redeem,
        form=form,
        flash_unplaced=False,  # the link's own refusal is a page of its own
        refused=lambda error: (
            (render_template("account/link_invalid.html", message=links.INVALID_LINK), 410)
            if "link" in error.fields
            else page()
        ),
        answer=lambda done: signed_out(),
    )

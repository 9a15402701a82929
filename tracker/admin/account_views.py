"""Each person's own account pages: their API tokens (list, create, revoke), signing out
everywhere, and setting a password from a one-time link (no sign-in needed for that one)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from tracker import accounts, realtime
from tracker.admin import account_bp as bp
from tracker.admin import links, tokens
from tracker.admin.common import commit
from tracker.admin.forms import SetPasswordForm, TokenForm
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import User
from tracker.web.forms import ActionForm


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _account_page(form: TokenForm | None = None) -> str:
    form = form or TokenForm(prefix="token", formdata=None)
    return render_template(
        "account/account.html",
        tokens=tokens.of_user(me().id),
        form=form,
        error_forms=[form] if form.errors else [],
    )


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    return _account_page()


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token() -> ResponseReturnValue:
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _account_page(form), 400 if "csrf_token" in form.errors else 422
    try:
        done = tokens.create(me(), form.name.data)
    except DomainError as error:
        db.session.rollback()
        for name, reason in error.fields.items():
            if name in form._fields:
                form[name].errors = [*form[name].errors, reason]
        return _account_page(form), error.status
    new = done.value
    name, secret = new.row.name, new.secret
    commit(done)
    # Shown in this response only: the secret is never stored, nor put in a cookie.
    return render_template("account/token_created.html", name=name, secret=secret), 201


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("account.index"))
    done = tokens.revoke(me(), token_id)  # someone else's token: 403 unless an admin
    name = done.value.name
    commit(done)
    if done.changed:
        flash(f"Revoked the token “{name}”: it stopped working now.", "success")
    else:
        flash("That token was already revoked.", "info")
    return redirect(url_for("account.index") + "#tokens")


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("account.index"))
    commit(tokens.sign_out_everywhere(me()))
    logout_user()
    session.clear()
    flash("You are signed out on every device and browser. Sign in again here.", "info")
    return redirect(url_for("web.login"))


@bp.route("/set-password/<secret>", methods=["GET", "POST"])
def set_password(secret: str) -> ResponseReturnValue:
    """The page an invitation or reset link opens. Anyone holding the link may use it once."""
    link = links.find_valid(secret)
    if link is None:
        return render_template("account/link_invalid.html", message=links.INVALID_LINK), 410
    person = link.user
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            done = links.redeem(secret, form.password.data or "")
        except DomainError as error:
            db.session.rollback()
            if "link" in error.fields:
                return render_template("account/link_invalid.html", message=links.INVALID_LINK), 410
            for name, reason in error.fields.items():
                if name in form._fields:
                    form[name].errors = [*form[name].errors, reason]
        else:
            # Nobody stays signed in as someone else on this browser, and the new password
            # is used straight away.
            here = accounts.current_login_session()
            accounts.end_login_session(here, accounts.SIGNED_OUT)
            commit(done)
            realtime.end_login_session(here)
            logout_user()
            session.clear()
            flash(
                "Your password is set. Sign in with your e-mail address and your new password.",
                "success",
            )
            return redirect(url_for("web.login"))
    return render_template(
        "account/set_password.html",
        form=form,
        person=person,
        purpose=link.purpose,
        error_forms=[form] if form.errors else [],
    ), (422 if form.errors else 200)

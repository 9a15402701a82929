"""Signing in and out (the login session is the server's record: `tracker.accounts`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user

from tracker import accounts, realtime, security, text, unit_of_work
from tracker.extensions import db
from tracker.web import bp
from tracker.web.forms import (
    ActionForm,
    LoginForm,
)


def safe_next(target: str | None) -> str | None:
    if not target:
        return None
    if text.problem(target) is not None:
        return None  # control characters or line breaks (a CR/LF in Location is a 500)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None  # browsers read "/\\host" as "//host", another site
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("web.index"))
    reason = accounts.signed_out_reason()
    if reason is not None and request.method == "GET":
        # A cookie whose login session ended: say why, once.
        logout_user()
        flash(accounts.signed_out_message(reason), "info")
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data or ""
        if not security.signin_attempt(email):
            # Refused before the password is checked, whether or not the account exists.
            flash(security.SIGNIN_REFUSED, "error")
            return render_template("web/login.html", form=form), 429
        user = accounts.authenticate(email, form.password.data or "")
        if user is not None:
            target = safe_next(form.next.data)
            # A fresh session on sign-in: nothing from before (fixation) carries over.
            session.clear()
            accounts.sign_in(user)
            unit_of_work.commit()
            security.signin_succeeded(email)
            return redirect(target or url_for("web.index"))
        db.session.rollback()
        security.signin_failed(email)
        flash("That e-mail and password do not match an active account.", "error")
    return render_template("web/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        # The login session ends on the server, so a copy of this cookie opens nothing more;
        # sockets opened with it stop receiving at once.
        key = accounts.current_login_session()
        accounts.end_login_session(key, accounts.SIGNED_OUT)
        unit_of_work.commit(then=[lambda: realtime.end_login_session(key)])
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("web.login"))

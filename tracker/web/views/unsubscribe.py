"""`/unsubscribe/<token>`: the link every digest and mention mail carries (List-Unsubscribe).
GET shows what it will stop and a button; POST stops it — the same POST a mail program sends
for one click (RFC 8058: `List-Unsubscribe=One-Click`), so it needs no sign-in and no CSRF
token: the signed link is the permission, and it works once."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from tracker import unit_of_work
from tracker.errors import Invalid
from tracker.extensions import csrf
from tracker.mail import preferences
from tracker.web import bp

STOPS = {"digest": "the e-mail digest", "mention": "e-mails when you are mentioned"}


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe_page(token: str) -> ResponseReturnValue:
    try:
        link = preferences.read_link(token)
    except Invalid as error:
        return render_template("web/unsubscribe.html", problem=error.fields["link"]), 400
    return render_template("web/unsubscribe.html", token=token, stops=STOPS[link.what])


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt
def unsubscribe(token: str) -> ResponseReturnValue:
    try:
        done = preferences.unsubscribe(token)
    except Invalid as error:
        unit_of_work.commit()  # nothing was written; ends the transaction
        return render_template("web/unsubscribe.html", problem=error.fields["link"]), 400
    unit_of_work.commit()
    return render_template("web/unsubscribe.html", done=STOPS[done.value.what])

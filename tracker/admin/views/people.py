"""People: the list, inviting, a person's page, changing their role and organisation,
disabling and enabling them, and the one-time links that set a password."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import orm

from tracker.accounts import actor
from tracker.admin import mail, people, tokens
from tracker.admin.forms import InviteForm, PersonForm
from tracker.admin.links import VALID_FOR
from tracker.admin.people import IssuedLink
from tracker.admin.views import bp, form_expired
from tracker.extensions import db
from tracker.models import AuditEntry, Organisation, User
from tracker.operations import Change
from tracker.web.forms import ActionForm, options
from tracker.web.outcomes import carry_out, invalid_form_status


def _active_organisation_choices() -> list[Any]:
    return options(
        (o.id, o.name)
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.active).order_by(Organisation.name)
        )
    )


def _invite_form(formdata: Any = None) -> InviteForm:
    form = InviteForm(prefix="invite", formdata=formdata)
    form.organisation_id.choices = _active_organisation_choices()
    return form


def _people_page(invite_form: InviteForm | None = None) -> str:
    everyone = db.session.scalars(
        sa.select(User).options(orm.joinedload(User.organisation)).order_by(User.name, User.email)
    ).all()
    form = invite_form or _invite_form()
    return render_template(
        "admin/people.html",
        people=everyone,
        invite_form=form,
        error_forms=[form] if form.errors else [],
        mail_configured=mail.configured(current_app.config),
    )


@bp.route("/people")
def people_page() -> ResponseReturnValue:
    """Everyone with an account, and the form to invite someone."""
    return _people_page()


def _show_link(issued: IssuedLink) -> ResponseReturnValue:
    """The link page: the secret exists only in this response (and the e-mail, if sent)."""
    link = url_for("account.set_password", secret=issued.secret, _external=True)
    days = VALID_FOR[issued.purpose].days
    valid_for = f"{days} days" if days != 1 else "24 hours"
    sent_to = None
    config = current_app.config
    if mail.configured(config):
        subject, body = mail.link_message(
            name=issued.user.name, link=link, purpose=issued.purpose, valid_for=valid_for
        )
        try:
            mail.send(config, issued.user.email, subject, body)
        except Exception as error:  # any SMTP or network failure: the admin still has the link
            current_app.logger.warning(
                "Could not e-mail a link to %s: %s", issued.user.email, error
            )
            flash(
                f"The e-mail to {issued.user.email} could not be sent ({error.__class__.__name__})."
                " Copy the link below and send it yourself.",
                "error",
            )
        else:
            sent_to = issued.user.email
    return render_template(
        "admin/link.html",
        person=issued.user,
        link=link,
        purpose=issued.purpose,
        valid_for=valid_for,
        sent_to=sent_to,
    )


@bp.route("/people/invite", methods=["POST"])
def invite() -> ResponseReturnValue:
    """Invite someone: create their account and show (or e-mail) their one-time link."""
    form = _invite_form(request.form)
    if not form.validate_on_submit():
        return _people_page(form), invalid_form_status(form)
    return carry_out(
        lambda: people.invite(
            actor(), form.email.data, form.name.data, form.organisation_id.data, form.role.data
        ),
        form=form,
        refused=lambda error: (_people_page(form), error.status),
        answer=lambda done: _show_link(done.value),
    )


def _person_form(person: User, formdata: Any = None) -> PersonForm:
    form = PersonForm(
        prefix="person",
        formdata=formdata,
        role=person.role,
        organisation_id=person.organisation_id,
    )
    choices = _active_organisation_choices()
    if not person.organisation.active:  # their current one stays selectable
        choices.insert(0, options([(person.organisation_id, person.organisation.name)])[0])
    form.organisation_id.choices = choices
    return form


def _person_page(person: User, form: PersonForm | None = None) -> str:
    form = form or _person_form(person)
    return render_template(
        "admin/person.html",
        person=person,
        form=form,
        error_forms=[form] if form.errors else [],
        tokens=tokens.of_user(person.id),
        entries=db.session.scalars(
            sa.select(AuditEntry)
            .where(
                sa.or_(
                    sa.and_(AuditEntry.target_type == "user", AuditEntry.target_id == person.id),
                    AuditEntry.actor_user_id == person.id,
                )
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(20)
        ).all(),
        is_me=person.id == actor().id,
    )


@bp.route("/people/<int:user_id>")
def person_page(user_id: int) -> ResponseReturnValue:
    """One person: role, organisation, API tokens, and audit entries by or about them."""
    return _person_page(people.get(user_id))


@bp.route("/people/<int:user_id>", methods=["POST"])
def change_person(user_id: int) -> ResponseReturnValue:
    """Change a person's account role and organisation."""
    person = people.get(user_id)
    form = _person_form(person, request.form)
    if not form.validate_on_submit():
        return _person_page(person, form), invalid_form_status(form)
    return carry_out(
        lambda: people.change(actor(), user_id, form.role.data, form.organisation_id.data),
        form=form,
        refused=lambda error: (_person_page(people.get(user_id), form), error.status),
        message="Saved.",
        answer=lambda done: redirect(url_for("admin.person_page", user_id=user_id)),
    )


@bp.route("/people/<int:user_id>/<any(disable, enable):what>", methods=["POST"])
def set_person_active(user_id: int, what: str) -> ResponseReturnValue:
    """Disable a person (ending their sessions, tokens, sockets) or enable them."""
    people.get(user_id)
    back = url_for("admin.person_page", user_id=user_id)
    if not ActionForm().validate_on_submit():
        return form_expired(back)

    def message(done: Change[User]) -> str:
        if what == "disable":
            return (
                f"Disabled {done.value.name}: their sessions, API tokens and open boards "
                "stopped working now."
            )
        return f"Enabled {done.value.name}."

    return carry_out(
        lambda: people.set_active(actor(), user_id, what == "enable"),
        refused=lambda error: redirect(back),
        message=message,
        answer=lambda done: redirect(back),
    )


@bp.route("/people/<int:user_id>/link", methods=["POST"])
def issue_link(user_id: int) -> ResponseReturnValue:
    """Issue a person a new one-time link to set their password, and show it."""
    people.get(user_id)
    if not ActionForm().validate_on_submit():
        return form_expired(url_for("admin.person_page", user_id=user_id))
    return carry_out(
        lambda: people.issue_link(actor(), user_id),
        refused=lambda error: redirect(url_for("admin.person_page", user_id=user_id)),
        answer=lambda done: _show_link(done.value),
    )

"""Organisations: the list, adding, renaming (and short names), deactivating and reactivating."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from tracker.accounts import actor
from tracker.admin import organisations
from tracker.admin.forms import NameForm, OrganisationForm
from tracker.admin.views import bp, form_expired
from tracker.extensions import db
from tracker.models import Organisation, User
from tracker.operations import Change
from tracker.web.forms import ActionForm
from tracker.web.outcomes import carry_out, invalid_form_status


def _organisations_page(
    new_form: NameForm | None = None, row_forms: Mapping[int, OrganisationForm] | None = None
) -> str:
    rows = db.session.execute(
        sa.select(Organisation, sa.func.count(User.id))
        .outerjoin(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    forms = dict(row_forms or {})
    for organisation, _ in rows:
        if organisation.id not in forms:
            forms[organisation.id] = OrganisationForm(
                prefix=f"org-{organisation.id}",
                formdata=None,
                name=organisation.name,
                short_name=organisation.short_name or "",
            )
        # Read out with the input (and named in the error summary): which row it is.
        forms[organisation.id].name.label.text = f"New name for {organisation.name}"
        forms[
            organisation.id
        ].short_name.label.text = f"Short name for {organisation.name} (on board cards)"
    new_form = new_form or NameForm(prefix="new", formdata=None)
    new_form.name.label.text = "Name of the new organisation"
    return render_template(
        "admin/organisations.html",
        rows=rows,
        new_form=new_form,
        row_forms=forms,
        error_forms=[f for f in [new_form, *(row_forms or {}).values()] if f and f.errors],
    )


@bp.route("/organisations")
def organisations_page() -> ResponseReturnValue:
    """Every organisation with its number of people; forms to rename and add."""
    return _organisations_page()


@bp.route("/organisations", methods=["POST"])
def create_organisation() -> ResponseReturnValue:
    """Add an organisation."""
    form = NameForm(prefix="new")
    if not form.validate_on_submit():
        return _organisations_page(new_form=form), invalid_form_status(form)
    return carry_out(
        lambda: organisations.create(actor(), form.name.data),
        form=form,
        refused=lambda error: (_organisations_page(new_form=form), error.status),
        message=lambda done: f"Created organisation “{done.value.name}”.",
        answer=lambda done: redirect(url_for("admin.organisations_page")),
    )


@bp.route("/organisations/<int:organisation_id>/rename", methods=["POST"])
def rename_organisation(organisation_id: int) -> ResponseReturnValue:
    """Rename an organisation and set its short name."""
    organisations.get(organisation_id)
    form = OrganisationForm(prefix=f"org-{organisation_id}")
    if not form.validate_on_submit():
        return _organisations_page(row_forms={organisation_id: form}), invalid_form_status(form)
    return carry_out(
        lambda: organisations.update(
            actor(), organisation_id, form.name.data, form.short_name.data
        ),
        form=form,
        refused=lambda error: (
            _organisations_page(row_forms={organisation_id: form}),
            error.status,
        ),
        message=lambda done: (
            f"Saved the organisation “{done.value.name}”"
            + (f" (short name “{done.value.short_name}”)." if done.value.short_name else ".")
        ),
        answer=lambda done: redirect(
            url_for("admin.organisations_page") + f"#org-{organisation_id}"
        ),
    )


@bp.route(
    "/organisations/<int:organisation_id>/<any(deactivate, reactivate):what>", methods=["POST"]
)
def set_organisation_active(organisation_id: int, what: str) -> ResponseReturnValue:
    """Deactivate an organisation (its people cannot sign in) or reactivate it."""
    organisations.get(organisation_id)
    back = url_for("admin.organisations_page") + f"#org-{organisation_id}"
    if not ActionForm().validate_on_submit():
        return form_expired(back)

    def message(done: Change[Organisation]) -> str:
        name, people_count = done.value.name, len(done.end_sockets_of)
        if what == "deactivate":
            return (
                f"Deactivated “{name}”: its {people_count} "
                f"{'person' if people_count == 1 else 'people'} can no longer sign in, and it "
                "cannot claim new roles. Its claims stay in history."
            )
        return f"Reactivated “{name}”."

    return carry_out(
        lambda: organisations.set_active(actor(), organisation_id, what == "reactivate"),
        refused=lambda error: redirect(back),
        message=message,
        answer=lambda done: redirect(back),
    )

"""Page forms (Flask-WTF: every one carries a CSRF token).

Every form derives from `Form`, which applies the one text rule (`tracker.text`) to each text
input a person types, and ids and versions are bounded as the API bounds them, so that bad
input is a message on the page, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker import text
from tracker.limits import MAX_ID
from tracker.models import (
    BARRIERS_MAX,
    COMMENT_MAX,
    NEXT_STEP_MAX,
    RAG_REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
)
from tracker.vocabulary import Rag


def typed_text(field_class: type[Field]) -> bool:
    """Whether a person types the text of fields of this class: the text rule applies.

    Not to passwords (never shown or exported, hashed as given: refusing characters would only
    lock people out) nor to hidden fields (no one types them; each is checked for what it
    carries, e.g. a version's digits)."""
    return issubclass(field_class, StringField) and not issubclass(
        field_class, PasswordField | HiddenField
    )


class TextRule:
    """WTForms validator: `tracker.text`'s rule; multi-line for a `<textarea>`."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str):
            reason = text.problem(field.data, multiline=self.multiline)
            if reason is not None:
                raise ValidationError(reason)


class Form(FlaskForm):
    """The base of every page, admin and account form."""

    def validate(self, extra_validators: dict[str, list[Any]] | None = None) -> bool:
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if typed_text(type(field)):
                rule = TextRule(multiline=isinstance(field, TextAreaField))
                extra[name] = [*extra.get(name, []), rule]
        return bool(super().validate(extra_validators=extra))


def _version(form: FlaskForm, field: Field) -> None:
    """A hidden version: empty, or the digits of a version the API would take."""
    if field.data and not (re.fullmatch(r"[0-9]{1,10}", field.data) and int(field.data) <= MAX_ID):
        raise ValidationError("is not a version of this initiative; reload the page")


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    next = HiddenField()


class ActionForm(Form):
    """A button with nothing but its CSRF token (sign out, release, archive)."""


class InitiativeForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=TITLE_MAX)])
    summary = TextAreaField("Summary", validators=[Length(max=SUMMARY_MAX)])
    grand_challenge_id = SelectField("Grand Challenge", coerce=int)
    stage_id = SelectField("Stage", coerce=int)
    rag = SelectField(
        "RAG status",
        # From unrated to worst: the reverse of the reports' order.
        choices=options((r.value, r.label) for r in reversed(Rag)),
    )
    rag_reason = TextAreaField("Reason for the RAG status", validators=[Length(max=RAG_REASON_MAX)])
    next_step = StringField("Next step", validators=[Length(max=NEXT_STEP_MAX)])
    next_step_due = DateField("Next step due", validators=[Optional()])
    barriers = TextAreaField("Barriers", validators=[Length(max=BARRIERS_MAX)])
    proposing_organisation_id = SelectField("Proposing organisation", coerce=int)
    version = HiddenField("Version", validators=[_version])


class MoveForm(Form):
    """A card's Move… form. `position` counts from 1 for people (the API's counts from 0);
    empty puts the card last. Without `grand_challenge_id` the card keeps its swimlane."""

    stage_id = SelectField("Stage", coerce=int, validators=[InputRequired()])
    grand_challenge_id = SelectField(
        "Grand Challenge",
        coerce=int,
        # The operation checks it is one of the board's (after the permission check).
        validate_choice=False,
        validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
    )
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    position = IntegerField("Position", validators=[Optional(), NumberRange(min=1, max=MAX_ID)])


class ClaimForm(Form):
    role_type_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    organisation_id = SelectField("Organisation", coerce=int, validators=[InputRequired()])


class CommentForm(Form):
    body = TextAreaField(
        "Add a progress note", validators=[DataRequired(), Length(max=COMMENT_MAX)]
    )


class ArchiveForm(Form):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


FORM_EXPIRED = "The form expired; please try again."
OUT_OF_DATE = (
    "This page is out of date: it sent a version this initiative has never had. "
    "Reload the page and try again."
)


def refusal(form: FlaskForm, otherwise: str) -> str:
    """What to tell a person whose small action form (move, claim, archive) was refused:
    an expired form and a stale page are said as such; anything else is `otherwise`, which
    says what the form needs."""
    if "csrf_token" in form.errors:
        return FORM_EXPIRED
    if "version" in form.errors:
        return OUT_OF_DATE
    return otherwise

"""Page forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from tracker.models import (
    BARRIERS_MAX,
    COMMENT_MAX,
    NEXT_STEP_MAX,
    RAG_REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
)


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button with nothing but its CSRF token (sign out, release, archive)."""


class InitiativeForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=TITLE_MAX)])
    summary = TextAreaField("Summary", validators=[Length(max=SUMMARY_MAX)])
    grand_challenge_id = SelectField("Grand Challenge", coerce=int)
    stage_id = SelectField("Stage", coerce=int)
    rag = SelectField(
        "RAG status",
        choices=options(
            [("not_set", "Not set"), ("green", "Green"), ("amber", "Amber"), ("red", "Red")]
        ),
    )
    rag_reason = TextAreaField("Reason for the RAG status", validators=[Length(max=RAG_REASON_MAX)])
    next_step = StringField("Next step", validators=[Length(max=NEXT_STEP_MAX)])
    next_step_due = DateField("Next step due", validators=[Optional()])
    barriers = TextAreaField("Barriers", validators=[Length(max=BARRIERS_MAX)])
    proposing_organisation_id = SelectField("Proposing organisation", coerce=int)
    version = HiddenField()


class MoveForm(FlaskForm):
    stage_id = SelectField("Move to stage", coerce=int, validators=[InputRequired()])
    version = IntegerField(validators=[InputRequired()])
    position = IntegerField(validators=[Optional(), NumberRange(min=0)])


class ClaimForm(FlaskForm):
    role_type_id = IntegerField(validators=[InputRequired()])
    organisation_id = SelectField("Organisation", coerce=int, validators=[InputRequired()])


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Add a progress note", validators=[DataRequired(), Length(max=COMMENT_MAX)]
    )


class ArchiveForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])

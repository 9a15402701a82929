"""Forms of the administration and account pages (Flask-WTF: each carries a CSRF token).

Each derives from `tracker.web.forms.Form`, so every text input follows the one text rule.
Forms repeated on one page (a row per stage, per organisation …) get a prefix of their own
(`stage-12-`), so every input has a unique id that error messages can point to.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker.accounts import MIN_PASSWORD_LENGTH
from tracker.admin.common import LABEL_MAX
from tracker.admin.links import PASSWORD_MAX
from tracker.limits import day_in_range
from tracker.models import NAME_MAX, SHORT_NAME_MAX
from tracker.operations import COUNT_MAX
from tracker.vocabulary import AccountRole
from tracker.web.forms import Form, options

ROLE_CHOICES = options(
    (role.value, role.label)
    for role in (AccountRole.MEMBER, AccountRole.ENVOY, AccountRole.VIEWER, AccountRole.ADMIN)
)


class NameForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])


class OrganisationForm(NameForm):
    short_name = StringField("Short name (on board cards)", validators=[Length(max=SHORT_NAME_MAX)])


class LabelForm(Form):
    """A Grand Challenge's name."""

    name = StringField("Name", validators=[DataRequired(), Length(max=LABEL_MAX)])


class BoardForm(Form):
    name = StringField("Board name", validators=[DataRequired(), Length(max=NAME_MAX)])
    defaults = BooleanField(
        "Start with the default stages, Grand Challenges and role types", default=True
    )


class StageForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=LABEL_MAX)])
    wip_limit = IntegerField(
        "WIP limit", validators=[Optional(), NumberRange(min=1, max=COUNT_MAX)]
    )


class RoleTypeForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=LABEL_MAX)])
    max_holders = IntegerField(
        "Maximum holders", validators=[Optional(), NumberRange(min=1, max=COUNT_MAX)]
    )
    is_lead = BooleanField("Leads the initiative")
    by_request = BooleanField("Asked for and agreed")


class InviteForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])
    organisation_id = SelectField("Organisation", coerce=int, validators=[InputRequired()])
    role = SelectField("Account role", choices=ROLE_CHOICES, validators=[InputRequired()])


class RecipientPersonForm(Form):
    """A person who gets a board's weekly report by e-mail."""

    user_id = SelectField("Person", coerce=int, validators=[InputRequired()])


class RecipientAddressForm(Form):
    """A plain address that gets a board's weekly report (a partner's shared inbox)."""

    address = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])


class MailForm(Form):
    """What a person wants by e-mail (`tracker.mail.preferences`)."""

    mention_email = BooleanField("E-mail me at once when someone mentions me or my organisation")
    digest = RadioField(
        "A digest of everything else I follow",
        choices=options(
            [
                ("daily", "Daily (each morning at 08:00)"),
                ("weekly", "Weekly (Monday at 08:00)"),
                ("off", "No digest"),
            ]
        ),
        validators=[InputRequired()],
    )


class PersonForm(Form):
    role = SelectField("Account role", choices=ROLE_CHOICES, validators=[InputRequired()])
    organisation_id = SelectField("Organisation", coerce=int, validators=[InputRequired()])


class TokenForm(Form):
    name = StringField("What is it for?", validators=[DataRequired(), Length(max=NAME_MAX)])


class SetPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=PASSWORD_MAX,
                message=f"must be at least {MIN_PASSWORD_LENGTH} characters",
            ),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", message="must match the new password")],
    )


def within_years_served(form: Form, field: DateField) -> None:
    """A date from 2000 to 2100 (`limits.FIRST_DAY`…`LAST_DAY`), as everywhere else."""
    if field.data is not None and not day_in_range(field.data):
        raise ValidationError("Enter a date from 2000 to 2100.")


class AuditFilterForm(Form):
    """Read from the query string; changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    action = SelectField("Action", default="")
    actor = SelectField("Who", default="")
    target = SelectField("What it concerned", default="")
    q = StringField("Text contains", validators=[Optional(), Length(max=200)])
    since = DateField("From", validators=[Optional(), within_years_served])
    until = DateField("To", validators=[Optional(), within_years_served])

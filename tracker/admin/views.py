"""Administration pages: thin entry points over the operations in this package.

Each POST parses its form, calls one operation with the signed-in admin as the actor, and
ends the unit of work with `common.commit` (commit, publish a board event, end sockets of
anyone who lost access). A refused operation rolls back and comes back as the page with each
field's reason next to the field and in the error summary (422, or 409 for a conflict), or
as a message for actions that have no fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import orm

from tracker import limits, policy
from tracker.admin import audit, boards, mail, organisations, people, tokens
from tracker.admin import bp as admin_bp
from tracker.admin.common import Done, carry_out, commit, flash_done, invalid_form_status
from tracker.admin.forms import (
    AuditFilterForm,
    BoardForm,
    InviteForm,
    LabelForm,
    NameForm,
    PersonForm,
    RoleTypeForm,
    StageForm,
)
from tracker.admin.links import VALID_FOR
from tracker.admin.people import IssuedLink
from tracker.extensions import db
from tracker.models import (
    ApiToken,
    AuditEntry,
    Board,
    GrandChallenge,
    Initiative,
    Organisation,
    RoleType,
    Stage,
    User,
)
from tracker.web.forms import ActionForm, options

bp = admin_bp


def me() -> User:
    return current_user._get_current_object()


@bp.before_request
def _admins_only() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not policy.may(me(), "administer"):
        abort(403, "Only administrators can see the administration pages.")
    return None


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


# --- overview -----------------------------------------------------------------------------


@bp.route("/")
def index() -> ResponseReturnValue:
    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return render_template(
        "admin/index.html",
        counts={
            "organisations": count(Organisation, Organisation.active),
            "people": count(User, User.active),
            "invited": count(User, User.password_hash.is_(None)),
            "boards": count(Board),
            "tokens": count(ApiToken, ApiToken.revoked_at.is_(None)),
        },
        recent=db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(5)
        ).all(),
    )


# --- organisations ------------------------------------------------------------------------


def _organisations_page(
    new_form: NameForm | None = None, row_forms: Mapping[int, NameForm] | None = None
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
            forms[organisation.id] = NameForm(
                prefix=f"org-{organisation.id}", formdata=None, name=organisation.name
            )
        # Read out with the input (and named in the error summary): which row it is.
        forms[organisation.id].name.label.text = f"New name for {organisation.name}"
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
    return _organisations_page()


@bp.route("/organisations", methods=["POST"])
def create_organisation() -> ResponseReturnValue:
    form = NameForm(prefix="new")
    if not form.validate_on_submit():
        return _organisations_page(new_form=form), invalid_form_status(form)
    return carry_out(
        lambda: organisations.create(me(), form.name.data),
        form=form,
        refused=lambda error: (_organisations_page(new_form=form), error.status),
        message=lambda done: f"Created organisation “{done.value.name}”.",
        answer=lambda done: redirect(url_for("admin.organisations_page")),
    )


@bp.route("/organisations/<int:organisation_id>/rename", methods=["POST"])
def rename_organisation(organisation_id: int) -> ResponseReturnValue:
    organisations.get(organisation_id)
    form = NameForm(prefix=f"org-{organisation_id}")
    if not form.validate_on_submit():
        return _organisations_page(row_forms={organisation_id: form}), invalid_form_status(form)
    return carry_out(
        lambda: organisations.rename(me(), organisation_id, form.name.data),
        form=form,
        refused=lambda error: (
            _organisations_page(row_forms={organisation_id: form}),
            error.status,
        ),
        message=lambda done: f"Renamed the organisation to “{done.value.name}”.",
        answer=lambda done: redirect(
            url_for("admin.organisations_page") + f"#org-{organisation_id}"
        ),
    )


@bp.route(
    "/organisations/<int:organisation_id>/<any(deactivate, reactivate):what>", methods=["POST"]
)
def set_organisation_active(organisation_id: int, what: str) -> ResponseReturnValue:
    organisations.get(organisation_id)
    back = url_for("admin.organisations_page") + f"#org-{organisation_id}"
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(back)

    def message(done: Done[Organisation]) -> str:
        name, people_count = done.value.name, len(done.end_sockets_of)
        if what == "deactivate":
            return (
                f"Deactivated “{name}”: its {people_count} "
                f"{'person' if people_count == 1 else 'people'} can no longer sign in, and it "
                "cannot claim new roles. Its claims stay in history."
            )
        return f"Reactivated “{name}”."

    return carry_out(
        lambda: organisations.set_active(me(), organisation_id, what == "reactivate"),
        refused=lambda error: redirect(back),
        message=message,
        answer=lambda done: redirect(back),
    )


# --- people -------------------------------------------------------------------------------


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
    form = _invite_form(request.form)
    if not form.validate_on_submit():
        return _people_page(form), invalid_form_status(form)
    return carry_out(
        lambda: people.invite(
            me(), form.email.data, form.name.data, form.organisation_id.data, form.role.data
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
        is_me=person.id == me().id,
    )


@bp.route("/people/<int:user_id>")
def person_page(user_id: int) -> ResponseReturnValue:
    return _person_page(people.get(user_id))


@bp.route("/people/<int:user_id>", methods=["POST"])
def change_person(user_id: int) -> ResponseReturnValue:
    person = people.get(user_id)
    form = _person_form(person, request.form)
    if not form.validate_on_submit():
        return _person_page(person, form), invalid_form_status(form)
    return carry_out(
        lambda: people.change(me(), user_id, form.role.data, form.organisation_id.data),
        form=form,
        refused=lambda error: (_person_page(people.get(user_id), form), error.status),
        message="Saved.",
        answer=lambda done: redirect(url_for("admin.person_page", user_id=user_id)),
    )


@bp.route("/people/<int:user_id>/<any(disable, enable):what>", methods=["POST"])
def set_person_active(user_id: int, what: str) -> ResponseReturnValue:
    people.get(user_id)
    back = url_for("admin.person_page", user_id=user_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(back)

    def message(done: Done[User]) -> str:
        if what == "disable":
            return (
                f"Disabled {done.value.name}: their sessions, API tokens and open boards "
                "stopped working now."
            )
        return f"Enabled {done.value.name}."

    return carry_out(
        lambda: people.set_active(me(), user_id, what == "enable"),
        refused=lambda error: redirect(back),
        message=message,
        answer=lambda done: redirect(back),
    )


@bp.route("/people/<int:user_id>/link", methods=["POST"])
def issue_link(user_id: int) -> ResponseReturnValue:
    people.get(user_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("admin.person_page", user_id=user_id))
    return carry_out(
        lambda: people.issue_link(me(), user_id),
        refused=lambda error: redirect(url_for("admin.person_page", user_id=user_id)),
        answer=lambda done: _show_link(done.value),
    )


# --- tokens -------------------------------------------------------------------------------


@bp.route("/tokens")
def tokens_page() -> ResponseReturnValue:
    include_revoked = request.args.get("revoked") == "1"
    return render_template(
        "admin/tokens.html",
        tokens=tokens.everyone(me(), include_revoked=include_revoked),
        include_revoked=include_revoked,
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if request.form.get("back") == "person":
        back = url_for("admin.person_page", user_id=token.user_id) + "#tokens"
    else:
        back = url_for("admin.tokens_page")
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(back)
    done = tokens.revoke(me(), token_id)
    owner, name = done.value.user.name, done.value.name
    commit(done)
    flash_done(
        done,
        f"Revoked {owner}'s token “{name}”: it stopped working now.",
        "That token was already revoked.",
    )
    return redirect(back)


# --- boards -------------------------------------------------------------------------------


@bp.route("/boards")
def boards_page() -> ResponseReturnValue:
    return _boards_page()


def _boards_page(form: BoardForm | None = None) -> str:
    rows = db.session.execute(
        sa.select(Board, sa.func.count(Initiative.id))
        .outerjoin(Initiative, sa.and_(Initiative.board_id == Board.id, ~Initiative.archived))
        .group_by(Board.id)
        .order_by(Board.name)
    ).all()
    form = form or BoardForm(prefix="board", formdata=None)
    return render_template(
        "admin/boards.html", rows=rows, form=form, error_forms=[form] if form.errors else []
    )


@bp.route("/boards", methods=["POST"])
def create_board() -> ResponseReturnValue:
    form = BoardForm(prefix="board")
    if not form.validate_on_submit():
        return _boards_page(form), invalid_form_status(form)
    return carry_out(
        lambda: boards.create_board(me(), form.name.data, bool(form.defaults.data)),
        form=form,
        refused=lambda error: (_boards_page(form), error.status),
        message=lambda done: f"Created board “{done.value.name}”.",
        answer=lambda done: redirect(url_for("admin.board_page", board_id=done.value.id)),
    )


def _shape_forms(board: Board) -> dict[str, FlaskForm]:
    """Every form on a board's page, keyed by prefix, filled with the current values."""
    forms: dict[str, FlaskForm] = {
        "board": NameForm(prefix="board", formdata=None, name=board.name),
        "new-stage": StageForm(prefix="new-stage", formdata=None),
        "new-lane": LabelForm(prefix="new-lane", formdata=None),
        "new-role": RoleTypeForm(prefix="new-role", formdata=None),
    }
    for s in board.stages:
        forms[f"stage-{s.id}"] = StageForm(
            prefix=f"stage-{s.id}", formdata=None, name=s.name, wip_limit=s.wip_limit
        )
    for g in board.grand_challenges:
        forms[f"lane-{g.id}"] = LabelForm(prefix=f"lane-{g.id}", formdata=None, name=g.name)
    for r in board.role_types:
        forms[f"role-{r.id}"] = RoleTypeForm(
            prefix=f"role-{r.id}",
            formdata=None,
            name=r.name,
            max_holders=r.max_holders,
            is_lead=r.is_lead,
        )
    return forms


def _label_shape_forms(board: Board, forms: dict[str, Any]) -> None:
    """Labels that say which row an input belongs to: one page holds many "Name" inputs."""
    forms["board"].name.label.text = "Board name"
    forms["new-stage"].name.label.text = "Name of the new stage"
    forms["new-stage"].wip_limit.label.text = "WIP limit of the new stage"
    forms["new-lane"].name.label.text = "Name of the new Grand Challenge"
    forms["new-role"].name.label.text = "Name of the new role type"
    forms["new-role"].max_holders.label.text = "Maximum holders of the new role type"
    forms["new-role"].is_lead.label.text = "The new role type leads the initiative"
    for i, s in enumerate(board.stages, 1):
        forms[f"stage-{s.id}"].name.label.text = f"Stage {i} name"
        forms[f"stage-{s.id}"].wip_limit.label.text = f"Stage {i} WIP limit"
    for i, g in enumerate(board.grand_challenges, 1):
        forms[f"lane-{g.id}"].name.label.text = f"Grand Challenge {i} name"
    for i, r in enumerate(board.role_types, 1):
        forms[f"role-{r.id}"].name.label.text = f"Role type {i} name"
        forms[f"role-{r.id}"].max_holders.label.text = f"Role type {i} maximum holders"
        forms[f"role-{r.id}"].is_lead.label.text = f"Role type {i} leads the initiative"


def _board_page(board_id: int, submitted: FlaskForm | None = None) -> str:
    db.session.expire_all()
    board = db.session.get(
        Board,
        board_id,
        options=[
            orm.selectinload(Board.stages),
            orm.selectinload(Board.grand_challenges),
            orm.selectinload(Board.role_types),
        ],
    )
    if board is None:
        abort(404)
    forms = _shape_forms(board)
    if submitted is not None:
        forms[submitted._prefix.rstrip("-")] = submitted
    _label_shape_forms(board, forms)
    per_stage = dict(
        db.session.execute(
            sa.select(Initiative.stage_id, sa.func.count())
            .where(Initiative.board_id == board.id)
            .group_by(Initiative.stage_id)
        ).all()
    )
    per_lane = dict(
        db.session.execute(
            sa.select(Initiative.grand_challenge_id, sa.func.count())
            .where(Initiative.board_id == board.id)
            .group_by(Initiative.grand_challenge_id)
        ).all()
    )
    return render_template(
        "admin/board.html",
        board=board,
        forms=forms,
        per_stage=per_stage,
        per_lane=per_lane,
        error_forms=[submitted] if submitted is not None and submitted.errors else [],
    )


@bp.route("/boards/<int:board_id>")
def board_page(board_id: int) -> ResponseReturnValue:
    return _board_page(board_id)


def _shape_change(
    board_id: int,
    form: FlaskForm,
    operation: Callable[[], Done[Any]],
    message: Callable[[Done[Any]], str],
    anchor: str,
) -> ResponseReturnValue:
    """Validate, run a board-shape operation, commit and publish, come back to `anchor`."""
    if not form.validate_on_submit():
        return _board_page(board_id, form), invalid_form_status(form)
    return carry_out(
        operation,
        form=form,
        refused=lambda error: (_board_page(board_id, form), error.status),
        message=message,
        answer=lambda done: redirect(url_for("admin.board_page", board_id=board_id) + f"#{anchor}"),
    )


def _board_of(model: Any, item_id: int) -> int:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    return int(item.board_id)


@bp.route("/boards/<int:board_id>/rename", methods=["POST"])
def rename_board(board_id: int) -> ResponseReturnValue:
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = NameForm(prefix="board")
    return _shape_change(
        board_id,
        form,
        lambda: boards.rename_board(me(), board_id, form.name.data),
        lambda d: f"Renamed the board to “{d.value.name}”.",
        "board-name",
    )


@bp.route("/boards/<int:board_id>/stages", methods=["POST"])
def add_stage(board_id: int) -> ResponseReturnValue:
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = StageForm(prefix="new-stage")
    return _shape_change(
        board_id,
        form,
        lambda: boards.add_stage(me(), board_id, form.name.data, form.wip_limit.data),
        lambda d: f"Added stage “{d.value.name}”.",
        "stages",
    )


@bp.route("/stages/<int:stage_id>", methods=["POST"])
def change_stage(stage_id: int) -> ResponseReturnValue:
    board_id = _board_of(Stage, stage_id)
    form = StageForm(prefix=f"stage-{stage_id}")
    return _shape_change(
        board_id,
        form,
        lambda: boards.change_stage(me(), stage_id, form.name.data, form.wip_limit.data),
        lambda d: f"Saved stage “{d.value.name}”.",
        f"stage-{stage_id}",
    )


def _direction_move(
    model: Any,
    item_id: int,
    operation: Callable[[User, int, object], Done[Any]],
    anchor: str,
    label: str,
) -> ResponseReturnValue:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    board_id = item.board_id
    form = ActionForm()
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    back = url_for("admin.board_page", board_id=board_id) + f"#{anchor}"
    if not form.validate_on_submit() or step is None:
        flash("The form expired; please try again.", "error")
        return redirect(back)
    return carry_out(
        lambda: operation(me(), item_id, item.position + step),
        refused=lambda error: redirect(back),
        message=lambda done: (
            f"Moved {label} “{done.value.name}” to position {done.value.position + 1}."
        ),
        unchanged=lambda done: f"“{done.value.name}” is already at that end.",
        answer=lambda done: redirect(back),
    )


def _delete(
    model: Any, item_id: int, operation: Callable[[User, int], Done[None]], anchor: str, label: str
) -> ResponseReturnValue:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    board_id, name = item.board_id, item.name
    back = url_for("admin.board_page", board_id=board_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(back + f"#{anchor}-{item_id}")
    return carry_out(
        lambda: operation(me(), item_id),
        refused=lambda error: redirect(back + f"#{anchor}-{item_id}"),
        message=f"Deleted {label} “{name}”.",
        answer=lambda done: redirect(back + f"#{anchor}s"),
    )


@bp.route("/stages/<int:stage_id>/move", methods=["POST"])
def move_stage(stage_id: int) -> ResponseReturnValue:
    return _direction_move(Stage, stage_id, boards.move_stage, f"stage-{stage_id}", "stage")


@bp.route("/stages/<int:stage_id>/delete", methods=["POST"])
def delete_stage(stage_id: int) -> ResponseReturnValue:
    return _delete(Stage, stage_id, boards.delete_stage, "stage", "stage")


@bp.route("/boards/<int:board_id>/grand-challenges", methods=["POST"])
def add_grand_challenge(board_id: int) -> ResponseReturnValue:
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = LabelForm(prefix="new-lane")
    return _shape_change(
        board_id,
        form,
        lambda: boards.add_grand_challenge(me(), board_id, form.name.data),
        lambda d: f"Added Grand Challenge “{d.value.name}”.",
        "lanes",
    )


@bp.route("/grand-challenges/<int:lane_id>", methods=["POST"])
def rename_grand_challenge(lane_id: int) -> ResponseReturnValue:
    board_id = _board_of(GrandChallenge, lane_id)
    form = LabelForm(prefix=f"lane-{lane_id}")
    return _shape_change(
        board_id,
        form,
        lambda: boards.rename_grand_challenge(me(), lane_id, form.name.data),
        lambda d: f"Renamed the Grand Challenge to “{d.value.name}”.",
        f"lane-{lane_id}",
    )


@bp.route("/grand-challenges/<int:lane_id>/move", methods=["POST"])
def move_grand_challenge(lane_id: int) -> ResponseReturnValue:
    return _direction_move(
        GrandChallenge, lane_id, boards.move_grand_challenge, f"lane-{lane_id}", "Grand Challenge"
    )


@bp.route("/grand-challenges/<int:lane_id>/delete", methods=["POST"])
def delete_grand_challenge(lane_id: int) -> ResponseReturnValue:
    return _delete(
        GrandChallenge, lane_id, boards.delete_grand_challenge, "lane", "Grand Challenge"
    )


@bp.route("/boards/<int:board_id>/role-types", methods=["POST"])
def add_role_type(board_id: int) -> ResponseReturnValue:
    if db.session.get(Board, board_id) is None:
        abort(404)
    form = RoleTypeForm(prefix="new-role")
    return _shape_change(
        board_id,
        form,
        lambda: boards.add_role_type(
            me(), board_id, form.name.data, form.max_holders.data, bool(form.is_lead.data)
        ),
        lambda d: f"Added role type “{d.value.name}”.",
        "roles",
    )


@bp.route("/role-types/<int:role_type_id>", methods=["POST"])
def change_role_type(role_type_id: int) -> ResponseReturnValue:
    board_id = _board_of(RoleType, role_type_id)
    form = RoleTypeForm(prefix=f"role-{role_type_id}")
    return _shape_change(
        board_id,
        form,
        lambda: boards.change_role_type(
            me(), role_type_id, form.name.data, form.max_holders.data, bool(form.is_lead.data)
        ),
        lambda d: f"Saved role type “{d.value.name}”.",
        f"role-{role_type_id}",
    )


@bp.route("/role-types/<int:role_type_id>/move", methods=["POST"])
def move_role_type(role_type_id: int) -> ResponseReturnValue:
    return _direction_move(
        RoleType, role_type_id, boards.move_role_type, f"role-{role_type_id}", "role type"
    )


@bp.route("/role-types/<int:role_type_id>/delete", methods=["POST"])
def delete_role_type(role_type_id: int) -> ResponseReturnValue:
    return _delete(RoleType, role_type_id, boards.delete_role_type, "role", "role type")


# --- audit log ----------------------------------------------------------------------------


@bp.route("/audit")
def audit_page() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    groups = sorted({a.split(".")[0] for a in audit.ACTIONS})
    form.action.choices = options(
        [("", "Any action")]
        + [(f"{g}.", f"Any {audit.TARGET_TYPES.get(g, g.title()).lower()} action") for g in groups]
        + list(audit.ACTIONS.items())
    )
    actors = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.id.in_(sa.select(AuditEntry.actor_user_id).distinct()))
        .order_by(User.name)
    ).all()
    form.actor.choices = options(
        [("", "Anyone")] + [(str(a.id), f"{a.name} <{a.email}>") for a in actors]
    )
    form.target.choices = options([("", "Anything"), *audit.TARGET_TYPES.items()])
    valid = form.validate()
    filters = audit.Filters()
    if valid:
        actor = form.actor.data or ""
        filters = audit.Filters(
            action=form.action.data or "",
            actor_id=limits.number_arg(actor),
            target_type=form.target.data or "",
            text=(form.q.data or "").strip(),
            since=form.since.data,
            until=form.until.data,
        )
    result = audit.search(
        filters, zone=_zone(), page=limits.number_arg(request.args.get("page")) or 1
    )
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        result=result,
        query=query,
        labels=audit.ACTIONS,
        error_forms=[form] if form.errors else [],
    ), (200 if valid else 422)

"""Pages: sign-in, the board, the initiative view and its forms.

Views are thin: they read the form, call the same domain operations as the API, commit and
publish, and turn domain errors into messages on the page.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from tracker import accounts, board, events, limits, policy, realtime, security, text, visits
from tracker.errors import DomainError, Invalid
from tracker.extensions import db
from tracker.models import Board, Claim, Initiative, Organisation, User, utcnow
from tracker.realtime import commit_and_publish
from tracker.reports.replay import board_at
from tracker.web.forms import (
    ActionForm,
    ArchiveForm,
    ClaimForm,
    CommentForm,
    InitiativeForm,
    LoginForm,
    MoveForm,
    options,
    refusal,
)
from tracker.web.history import describe

bp = Blueprint("web", __name__)

RAG_LABELS = {"red": "Red", "amber": "Amber", "green": "Green", "not_set": "Not set"}


def init_web(app: Flask) -> None:
    zone = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    @app.template_filter("local")
    def _local(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
        if value is None:
            return ""
        return value.astimezone(zone).strftime(fmt)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"rag_labels": RAG_LABELS, "policy": policy, "action_form": ActionForm()}

    @app.after_request
    def _no_store_for_pages(response: Any) -> Any:
        # Boards change under people's feet: never show a cached one after sign-out or Back.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


# --- accounts -----------------------------------------------------------------------------


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    if text.problem(target) is not None:
        return None  # control characters or line breaks (a CR/LF in Location is a 500)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
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
            target = _safe_next(form.next.data)
            # A fresh session on sign-in: nothing from before (fixation) carries over.
            session.clear()
            accounts.sign_in(user)
            db.session.commit()
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
        db.session.commit()
        realtime.end_login_session(key)
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("web.login"))


# --- board --------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    first = db.session.scalar(sa.select(Board.id).order_by(Board.id).limit(1))
    if first is None:
        return render_template("web/no_board.html")
    return redirect(url_for("web.board_page", board_id=first))


@bp.route("/boards/<int:board_id>")
@login_required
def board_page(board_id: int) -> ResponseReturnValue:
    if "as_of" in request.args:
        return _board_as_of(board_id, request.args["as_of"])
    # Note the visit first: its commit would otherwise expire every card loaded below.
    last_seq = db.session.scalar(sa.select(Board.last_seq).where(Board.id == board_id))
    if last_seq is None:
        abort(404)
    visit = visits.record_visit(me().id, board_id, last_seq)
    db.session.commit()
    the_board = board.load_board(board_id)
    cards = board.board_initiatives(board_id)
    cells: dict[tuple[int, int], list[Initiative]] = defaultdict(list)
    per_stage: dict[int, int] = defaultdict(int)
    for card in cards:
        cells[(card.stage_id, card.grand_challenge_id)].append(card)
        per_stage[card.stage_id] += 1
    for cell in cells.values():
        cell.sort(key=lambda c: (c.position, c.id))
    user = me()
    since_count, since_events = (
        (0, []) if visit.first else visits.changes_since(board_id, visit.baseline_seq, user.id)
    )
    names = _names(the_board)
    return render_template(
        "web/board.html",
        board=the_board,
        cells=cells,
        per_stage=per_stage,
        now=utcnow(),
        may_edit={card.id: policy.may_edit(user, card) for card in cards},
        may_propose=policy.may(user, "propose"),
        move_form=MoveForm(),
        lead=_lead_organisations(cards),
        first_visit=visit.first,
        since_count=since_count,
        since_events=[(e, describe(events.envelope(e), names)) for e in since_events],
        titles={card.id: card.title for card in cards},
    )


def _board_as_of(board_id: int, text: str) -> ResponseReturnValue:
    """The board rebuilt from its events as it stood at the end of a day (London), read-only."""
    the_board = board.load_board(board_id)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid({"as_of": "must be a date as YYYY-MM-DD"}) from None
    if not limits.day_in_range(day):
        raise Invalid({"as_of": limits.DAY_RANGE})
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    moment = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    replay = board_at(board_id, moment)
    cells: dict[tuple[int, int], list[Any]] = defaultdict(list)
    per_stage: dict[int, int] = defaultdict(int)
    for card in replay.live():
        cells[(card.stage_id, card.grand_challenge_id)].append(card)
        per_stage[card.stage_id] += 1
    return render_template(
        "web/board_as_of.html",
        board=the_board,
        cells=cells,
        per_stage=per_stage,
        as_of=day,
        moment=min(moment, utcnow()),
    )


@bp.route("/initiatives/<int:initiative_id>/card")
@login_required
def card_fragment(initiative_id: int) -> ResponseReturnValue:
    """One board card, exactly as the board page renders it for this viewer (a drag handle
    and a Move… form only where they may edit). The board's script fetches it to apply a live
    change, so cards never hold a copy of the permission rules."""
    card = board.get_initiative(initiative_id)
    the_board = board.load_board(card.board_id)
    return render_template(
        "web/_card.html",
        card=card,
        board=the_board,
        now=utcnow(),
        may_edit={card.id: policy.may_edit(me(), card)},
        lead=_lead_organisations([card]),
    )


def _lead_organisations(cards: list[Initiative]) -> dict[int, str]:
    lead: dict[int, str] = {}
    for card in cards:
        for claim in card.claims:
            if claim.role_type.is_lead:
                lead[card.id] = claim.organisation.name
    return lead


# --- initiative ---------------------------------------------------------------------------


def _names(the_board: Board) -> dict[str, dict[int, str]]:
    return {
        "stages": {s.id: s.name for s in the_board.stages},
        "grand_challenges": {g.id: g.name for g in the_board.grand_challenges},
    }


@bp.route("/initiatives/<int:initiative_id>")
@login_required
def initiative_page(initiative_id: int) -> ResponseReturnValue:
    # The board (and its last_seq, which the live script joins from) before the initiative:
    # a change committed in between is then replayed, not lost.
    board_id = db.session.scalar(
        sa.select(Initiative.board_id).where(Initiative.id == initiative_id)
    )
    if board_id is None:
        abort(404)
    the_board = board.load_board(board_id)
    initiative = board.get_initiative(initiative_id)
    user = me()
    organisations = _claimable_organisations(user)
    claim_form = ClaimForm()
    claim_form.organisation_id.choices = options((o.id, o.name) for o in organisations)
    claim_form.organisation_id.data = user.organisation_id
    history = [
        (e, describe(events.envelope(e), _names(the_board)))
        for e in events.for_initiative(initiative.id)
    ]
    holders: dict[int, list[Claim]] = defaultdict(list)
    for c in initiative.claims:
        holders[c.role_type_id].append(c)
    move_form = MoveForm()
    move_form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    move_form.stage_id.data = initiative.stage_id
    return render_template(
        "web/initiative.html",
        initiative=initiative,
        board=the_board,
        history=history,
        holders=holders,
        claim_form=claim_form,
        comment_form=CommentForm(),
        archive_form=ArchiveForm(),
        move_form=move_form,
        may_edit=policy.may_edit(user, initiative),
        may_claim=policy.may(user, "claim"),
        may_comment=policy.may(user, "comment"),
        may_archive=policy.may(user, "archive"),
        now=utcnow(),
    )


def _claimable_organisations(user: User) -> list[Organisation]:
    if policy.may(user, "act_for_any_organisation"):
        return list(
            db.session.scalars(
                sa.select(Organisation).where(Organisation.active).order_by(Organisation.name)
            )
        )
    return [user.organisation]


def _initiative_form(the_board: Board, user: User, **kwargs: Any) -> InitiativeForm:
    form = InitiativeForm(**kwargs)
    form.grand_challenge_id.choices = options((g.id, g.name) for g in the_board.grand_challenges)
    form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    form.proposing_organisation_id.choices = options(
        (o.id, o.name) for o in _claimable_organisations(user)
    )
    return form


def _field_errors(form: InitiativeForm, error: DomainError) -> None:
    for name, reason in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, reason]
    flash(error.message, "error")


_EDIT_FIELDS = (
    "title",
    "summary",
    "grand_challenge_id",
    "rag",
    "rag_reason",
    "next_step",
    "next_step_due",
    "barriers",
)


@bp.route("/boards/<int:board_id>/initiatives/new", methods=["GET", "POST"])
@login_required
def propose_page(board_id: int) -> ResponseReturnValue:
    the_board = board.load_board(board_id)
    user = me()
    if not policy.may(user, "propose"):
        abort(403)
    form = _initiative_form(the_board, user)
    if request.method == "GET":
        form.proposing_organisation_id.data = user.organisation_id
        stage_id = limits.number_arg(request.args.get("stage_id"))
        if stage_id is not None:
            form.stage_id.data = stage_id
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in _EDIT_FIELDS}
        fields["stage_id"] = form.stage_id.data
        fields["proposing_organisation_id"] = form.proposing_organisation_id.data
        try:
            change = board.propose(user, board_id, fields)
        except DomainError as error:
            db.session.rollback()
            _field_errors(form, error)
        else:
            new_id = change.value.id
            commit_and_publish(change.event)
            flash("Initiative proposed.", "success")
            return redirect(url_for("web.initiative_page", initiative_id=new_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "web/initiative_form.html", form=form, board=the_board, initiative=None
    ), status


@bp.route("/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
@login_required
def edit_page(initiative_id: int) -> ResponseReturnValue:
    initiative = board.get_initiative(initiative_id)
    user = me()
    if not policy.may_edit(user, initiative):
        abort(403)
    the_board = board.load_board(initiative.board_id)
    form = _initiative_form(the_board, user, obj=initiative if request.method == "GET" else None)
    del form.stage_id
    del form.proposing_organisation_id
    if request.method == "GET":
        form.version.data = str(initiative.version)
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in _EDIT_FIELDS}
        version = limits.number_arg(form.version.data)
        version = -1 if version is None else version
        try:
            change = board.edit(user, initiative_id, version, changes)
        except DomainError as error:
            db.session.rollback()
            if error.status == 409:
                flash(
                    f"Someone else changed the {board.field_list(error.fields)} while you "
                    "were editing. Nothing was saved: compare their values with yours below "
                    "and choose which to keep.",
                    "error",
                )
                # The template shows theirs against yours and offers both choices; it reads
                # the current initiative and version from `current`.
                return render_template(
                    "web/initiative_form.html",
                    form=_initiative_form(
                        the_board, user, obj=board.get_initiative(initiative_id, fresh=True)
                    ),
                    board=the_board,
                    initiative=initiative,
                    yours=changes,
                ), 409
            _field_errors(form, error)
        else:
            commit_and_publish(change.event)
            flash("Changes saved." if change.event else "Nothing changed.", "success")
            return redirect(url_for("web.initiative_page", initiative_id=initiative_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "web/initiative_form.html", form=form, board=the_board, initiative=initiative
    ), status


def _back(default: str) -> str:
    return _safe_next(request.form.get("next")) or default


@bp.route("/initiatives/<int:initiative_id>/move", methods=["POST"])
@login_required
def move_action(initiative_id: int) -> ResponseReturnValue:
    initiative = board.get_initiative(initiative_id)
    the_board = board.load_board(initiative.board_id)
    form = MoveForm()
    form.stage_id.choices = options((s.id, s.name) for s in the_board.stages)
    back = _back(url_for("web.board_page", board_id=the_board.id))
    if not form.validate_on_submit():
        flash(refusal(form, "Choose a stage to move to."), "error")
        return redirect(back)
    try:
        change = board.move(
            me(), initiative_id, form.version.data, form.stage_id.data, form.position.data
        )
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        flash(_friendly(error), "error")
        return redirect(back)
    commit_and_publish(change.event)
    stage = next(s.name for s in the_board.stages if s.id == form.stage_id.data)
    flash(f"Moved “{initiative.title}” to {stage}.", "success")
    return redirect(back + f"#initiative-{initiative_id}" if "#" not in back else back)


def _friendly(error: DomainError) -> str:
    if error.status == 409 and error.current is not None:
        return (
            "Someone else changed this initiative a moment ago, so nothing was changed. "
            "The board now shows the current state; please try again."
        )
    return error.message


@bp.route("/initiatives/<int:initiative_id>/claims", methods=["POST"])
@login_required
def claim_action(initiative_id: int) -> ResponseReturnValue:
    user = me()
    form = ClaimForm()
    # Any organisation parses; whether this user may act for it is the policy's call (403).
    form.organisation_id.choices = options(
        (o.id, o.name) for o in db.session.scalars(sa.select(Organisation))
    )
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        flash(refusal(form, "Choose a role and an organisation you can act for."), "error")
        return redirect(back)
    try:
        change = board.claim(user, initiative_id, form.role_type_id.data, form.organisation_id.data)
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        flash(error.message, "error")
        return redirect(back)
    data = change.event.data if change.event else {}
    commit_and_publish(change.event)
    flash(f"{data.get('organisation')} now holds {data.get('role')}.", "success")
    return redirect(back)


@bp.route("/claims/<int:claim_id>/release", methods=["POST"])
@login_required
def release_action(claim_id: int) -> ResponseReturnValue:
    existing = db.session.get(Claim, claim_id)
    if existing is None:
        abort(404)
    initiative_id = existing.initiative_id
    form = ActionForm()
    back = _back(url_for("web.initiative_page", initiative_id=initiative_id))
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(back)
    change = board.release(me(), claim_id)
    data = change.event.data if change.event else {}
    commit_and_publish(change.event)
    flash(f"{data.get('organisation')} released {data.get('role')}.", "success")
    return redirect(back)


@bp.route("/initiatives/<int:initiative_id>/comments", methods=["POST"])
@login_required
def comment_action(initiative_id: int) -> ResponseReturnValue:
    form = CommentForm()
    back = url_for("web.initiative_page", initiative_id=initiative_id)
    if not form.validate_on_submit():
        problems = " ".join(form.body.errors)
        flash(
            f"{form.body.label.text}: {problems}"
            if problems
            else "The form expired; please try again.",
            "error",
        )
        return redirect(back)
    try:
        change = board.add_comment(me(), initiative_id, form.body.data)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
        return redirect(back)
    commit_and_publish(change.event)
    flash("Note added.", "success")
    return redirect(back + "#comments")


@bp.route("/initiatives/<int:initiative_id>/archive", methods=["POST"])
@login_required
def archive_action(initiative_id: int) -> ResponseReturnValue:
    form = ArchiveForm()
    archived = request.form.get("archived", "1") == "1"
    back = url_for("web.initiative_page", initiative_id=initiative_id)
    if not form.validate_on_submit():
        flash(refusal(form, "Reload the page and try again."), "error")
        return redirect(back)
    try:
        change = board.archive(me(), initiative_id, form.version.data, archived)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(_friendly(error), "error")
        return redirect(back)
    commit_and_publish(change.event)
    flash("Initiative archived." if archived else "Initiative restored.", "success")
    return redirect(back)


__all__ = ["bp", "current_app", "init_web"]

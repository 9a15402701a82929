"""Administrative operations at domain level (no HTTP): each does what it says, writes its
audit entry in the same transaction, refuses what it must with a message that says why, and
is for admins only."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (
    make_initiative,
    make_login_session,
    make_organisation,
    make_user,
    role_type,
    stage,
)
from tracker import accounts, api_tokens, board, events
from tracker.admin import audit, boards, links, organisations, people, role_types, tokens
from tracker.errors import Conflict, Forbidden, Invalid
from tracker.extensions import db
from tracker.models import (
    AuditEntry,
    Claim,
    Event,
    OneTimeLink,
    RoleType,
    Stage,
    utcnow,
)


def entries(action: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def board_events(board_id: int) -> list[Event]:
    return events.since(board_id, 0)


# --- permissions --------------------------------------------------------------------------


def _operations(the_board, users):
    """Every administrative operation, as (name, call(actor))."""
    org = users["member"].organisation
    first_stage = the_board.stages[0]
    lane = the_board.grand_challenges[0]
    role = the_board.role_types[0]
    token_row_owner = make_user("member", org)
    api_tokens.create_token(token_row_owner, "viewer's")
    db.session.commit()
    token_id = tokens.of_user(token_row_owner.id)[0].id
    return [
        ("create organisation", lambda a: organisations.create(a, "New org")),
        ("rename organisation", lambda a: organisations.rename(a, org.id, "Renamed")),
        ("deactivate organisation", lambda a: organisations.set_active(a, org.id, False)),
        (
            "invite",
            lambda a: people.invite(a, "new@example.org", "New Person", org.id, "member"),
        ),
        ("change person", lambda a: people.change(a, users["viewer"].id, "member", org.id)),
        ("disable person", lambda a: people.set_active(a, users["viewer"].id, False)),
        ("issue link", lambda a: people.issue_link(a, users["viewer"].id)),
        ("create board", lambda a: boards.create_board(a, "Another")),
        ("rename board", lambda a: boards.rename_board(a, the_board.id, "Renamed")),
        ("add stage", lambda a: boards.add_stage(a, the_board.id, "Scaling", 3)),
        ("change stage", lambda a: boards.change_stage(a, first_stage.id, "Ideas", 2)),
        ("move stage", lambda a: boards.move_stage(a, first_stage.id, 1)),
        ("delete stage", lambda a: boards.delete_stage(a, first_stage.id)),
        ("add lane", lambda a: boards.add_grand_challenge(a, the_board.id, "Net zero")),
        ("rename lane", lambda a: boards.rename_grand_challenge(a, lane.id, "Older people")),
        ("move lane", lambda a: boards.move_grand_challenge(a, lane.id, 2)),
        ("delete lane", lambda a: boards.delete_grand_challenge(a, lane.id)),
        ("add role type", lambda a: role_types.add_role_type(a, the_board.id, "Mentor", 2)),
        ("change role type", lambda a: role_types.change_role_type(a, role.id, "Leader", 2)),
        ("move role type", lambda a: role_types.move_role_type(a, role.id, 3)),
        ("delete role type", lambda a: role_types.delete_role_type(a, role.id)),
        ("everyone's tokens", lambda a: tokens.everyone(a)),
        ("revoke someone else's token", lambda a: tokens.revoke(a, token_id)),
    ]


@pytest.mark.parametrize("role", ["envoy", "member", "viewer"])
def test_only_admins_may_administer(the_board, users, role):
    seq_before = the_board.last_seq
    for name, call in _operations(the_board, users):
        with pytest.raises(Forbidden):
            call(users[role])
        db.session.rollback()
        assert entries() == [], name
    db.session.expire_all()
    assert the_board.last_seq == seq_before


def test_admin_may_do_every_operation(the_board, users):
    for name, call in _operations(the_board, users):
        # Refused on its merits at most (deleting a stage that is not empty …), never 403.
        with contextlib.suppress(Invalid, Conflict):
            call(users["admin"])
        db.session.rollback()
        assert name


# --- organisations ------------------------------------------------------------------------


def test_create_and_rename_organisation_are_audited(users):
    admin = users["admin"]
    done = organisations.create(admin, "  Hertfordshire   Futures ")
    db.session.commit()
    assert done.value.name == "Hertfordshire Futures"
    organisations.rename(admin, done.value.id, "Herts Futures")
    db.session.commit()
    created, renamed = entries()
    assert (created.action, created.actor_user_id, created.target_id) == (
        "organisation.created",
        admin.id,
        done.value.id,
    )
    assert renamed.action == "organisation.renamed"
    assert renamed.data == {"from": "Hertfordshire Futures", "to": "Herts Futures"}
    assert renamed.summary == "Renamed organisation “Hertfordshire Futures” to “Herts Futures”."
    assert renamed.at is not None and renamed.actor_name.startswith(admin.name)


def test_organisation_names_are_unique_whatever_the_case(users):
    with pytest.raises(Invalid) as refused:
        organisations.create(users["admin"], "police")
    assert refused.value.fields == {"name": "an organisation with this name already exists"}
    with pytest.raises(Invalid) as refused:
        organisations.create(users["admin"], "   ")
    assert refused.value.fields == {"name": "is required"}


def test_deactivated_organisation_keeps_claims_cannot_claim_and_cannot_sign_in(the_board, users):
    police = users["member"].organisation
    initiative = make_initiative(the_board, users["envoy"])
    partner, funder = role_type(the_board, "Partner").id, role_type(the_board, "Funder").id
    board.claim(users["envoy"], initiative.id, partner, police.id)
    db.session.commit()

    done = organisations.set_active(users["admin"], police.id, False)
    db.session.commit()
    assert done.end_sockets_of == (users["member"].id,)
    assert db.session.scalar(sa.select(Claim).where(Claim.organisation_id == police.id))
    with pytest.raises(Invalid) as refused:
        board.claim(users["envoy"], initiative.id, funder, police.id)
    assert refused.value.fields == {"organisation_id": "this organisation is deactivated"}
    db.session.rollback()
    assert accounts.authenticate(users["member"].email, "correct-horse-battery") is None
    assert entries("organisation.deactivated")[0].summary == (
        "Deactivated organisation “Police” (1 person)."
    )

    organisations.set_active(users["admin"], police.id, True)
    db.session.commit()
    assert accounts.authenticate(users["member"].email, "correct-horse-battery") is not None


def test_admin_cannot_deactivate_their_own_organisation(users):
    with pytest.raises(Invalid, match="lock yourself out"):
        organisations.set_active(users["admin"], users["admin"].organisation_id, False)


# --- people -------------------------------------------------------------------------------


def test_invite_creates_an_account_without_password_and_a_hashed_link(users):
    police = users["member"].organisation
    done = people.invite(users["admin"], " Jo@Example.ORG ", "Jo Bloggs", police.id, "member")
    db.session.commit()
    person, secret = done.value.user, done.value.secret
    assert (person.email, person.role, person.organisation_id) == (
        "jo@example.org",
        "member",
        police.id,
    )
    assert person.password_hash is None
    link = db.session.scalar(sa.select(OneTimeLink).where(OneTimeLink.user_id == person.id))
    assert link.purpose == "invitation"
    assert secret not in link.token_hash and len(link.token_hash) == 64
    assert timedelta(days=6, hours=23) < link.expires_at - link.created_at <= timedelta(days=7)
    assert accounts.authenticate("jo@example.org", "") is None  # no password, no sign-in
    (entry,) = entries("user.invited")
    assert entry.summary == "Invited Jo Bloggs <jo@example.org> as member of Police."


@pytest.mark.parametrize(
    ("email", "name", "role", "field"),
    [
        ("not-an-address", "Jo", "member", "email"),
        ("", "Jo", "member", "email"),
        ("jo@example.org", "", "member", "name"),
        ("jo@example.org", "Jo", "superuser", "role"),
    ],
)
def test_invite_names_the_field_it_refuses(users, email, name, role, field):
    with pytest.raises(Invalid) as refused:
        people.invite(users["admin"], email, name, users["member"].organisation_id, role)
    assert field in refused.value.fields


def test_invite_refuses_an_existing_email_and_a_deactivated_organisation(users):
    with pytest.raises(Invalid) as refused:
        people.invite(
            users["admin"],
            users["member"].email.upper(),
            "X",
            users["admin"].organisation_id,
            "member",
        )
    assert refused.value.fields == {"email": "an account with this e-mail already exists"}
    closed = make_organisation("Closed", active=False)
    with pytest.raises(Invalid) as refused:
        people.invite(users["admin"], "new@example.org", "X", closed.id, "member")
    assert refused.value.fields == {"organisation_id": "this organisation is deactivated"}


def test_invitation_link_sets_the_password_once(users):
    done = people.invite(
        users["admin"], "jo@example.org", "Jo", users["member"].organisation_id, "member"
    )
    db.session.commit()
    secret = done.value.secret
    assert links.find_valid(secret) is not None
    with pytest.raises(Invalid) as refused:
        links.redeem(secret, "too short")
    assert refused.value.fields == {"password": "must be at least 12 characters"}
    db.session.rollback()

    links.redeem(secret, "a long enough passphrase")
    db.session.commit()
    assert accounts.authenticate("jo@example.org", "a long enough passphrase") is not None
    assert links.find_valid(secret) is None
    with pytest.raises(Invalid, match="no longer works"):
        links.redeem(secret, "another long passphrase")
    (entry,) = entries("account.password_set")
    assert entry.actor_user_id == done.value.user.id


def test_links_expire_and_only_the_newest_works(users):
    member = users["member"]
    first = people.issue_link(users["admin"], member.id).value
    db.session.commit()
    assert first.purpose == "reset"  # the member has a password already
    second = people.issue_link(users["admin"], member.id).value
    db.session.commit()
    assert links.find_valid(first.secret) is None
    link = links.find_valid(second.secret)
    assert link is not None
    assert link.expires_at - link.created_at == timedelta(days=1)
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert links.find_valid(second.secret) is None


def test_password_reset_ends_existing_sessions(users):
    member = users["member"]
    cookie = make_login_session(member)
    secret = people.issue_link(users["admin"], member.id).value.secret
    db.session.commit()
    assert accounts.user_from_session_id(cookie) is not None
    done = links.redeem(secret, "a brand new passphrase")
    db.session.commit()
    check = accounts.check_login_session(cookie)
    assert check.user is None and check.reason == accounts.PASSWORD_SET
    assert done.end_sockets_of == (member.id,)


def test_link_of_a_disabled_account_does_not_work(users):
    secret = people.issue_link(users["admin"], users["member"].id).value.secret
    people.set_active(users["admin"], users["member"].id, False)
    db.session.commit()
    assert links.find_valid(secret) is None
    with pytest.raises(Invalid, match="enable this account"):
        people.issue_link(users["admin"], users["member"].id)


def test_change_role_and_organisation_is_audited(users):
    viewer = users["viewer"]
    police = users["member"].organisation
    people.change(users["admin"], viewer.id, "member", police.id)
    db.session.commit()
    assert (viewer.role, viewer.organisation_id) == ("member", police.id)
    (entry,) = entries("user.changed")
    assert entry.data == {
        "role": {"from": "viewer", "to": "member"},
        "organisation": {"from": "The LEP", "to": "Police"},
    }
    done = people.change(users["admin"], viewer.id, "member", police.id)
    assert not done.changed
    assert len(entries("user.changed")) == 1


def test_admin_cannot_change_own_role_or_disable_self(users):
    admin = users["admin"]
    with pytest.raises(Invalid) as refused:
        people.change(admin, admin.id, "viewer", admin.organisation_id)
    assert refused.value.fields == {"role": "you cannot change your own account role"}
    with pytest.raises(Invalid, match="your own account"):
        people.set_active(admin, admin.id, False)


def test_disable_ends_the_login_sessions_and_enable_does_not_revive_them(users):
    member = users["member"]
    cookie = make_login_session(member)
    db.session.commit()
    done = people.set_active(users["admin"], member.id, False)
    db.session.commit()
    assert done.end_sockets_of == (member.id,)
    assert not member.is_active
    assert accounts.check_login_session(cookie).reason == accounts.ACCOUNT_DISABLED
    people.set_active(users["admin"], member.id, True)
    db.session.commit()
    assert member.is_active
    assert accounts.user_from_session_id(cookie) is None
    assert [e.action for e in entries()] == ["user.disabled", "user.enabled"]


# --- boards -------------------------------------------------------------------------------


def test_create_board_with_and_without_the_defaults(users):
    with_defaults = boards.create_board(users["admin"], "Skills programme").value
    bare = boards.create_board(users["admin"], "Empty programme", with_defaults=False).value
    db.session.commit()
    assert [s.name for s in with_defaults.stages][:2] == ["Proposed", "Exploring"]
    assert len(with_defaults.role_types) == 7
    assert bare.stages == [] and bare.role_types == []
    (created,) = board_events(with_defaults.id)
    assert created.type == "board_changed" and created.data["change"] == "board_created"
    with pytest.raises(Invalid) as refused:
        boards.create_board(users["admin"], "skills PROGRAMME")
    assert refused.value.fields == {"name": "a board with this name already exists"}


def test_stage_changes_append_a_board_event_and_an_audit_entry(the_board, users):
    admin = users["admin"]
    before = the_board.last_seq
    added = boards.add_stage(admin, the_board.id, "Scaling up", 4)
    db.session.commit()
    stage_id = added.value.id
    assert added.event is not None and added.event.seq == before + 1
    assert added.event.data == {
        "change": "stage_added",
        "stage": {"id": stage_id, "name": "Scaling up", "position": 8, "wip_limit": 4},
    }
    changed = boards.change_stage(admin, stage_id, "Scale-up", None)
    db.session.commit()
    assert changed.event.data["from"] == {"name": "Scaling up", "wip_limit": 4}
    assert changed.event.data["stage"]["wip_limit"] is None
    moved = boards.move_stage(admin, stage_id, 0)
    db.session.commit()
    assert moved.event.data["order"][0] == stage_id
    db.session.expire_all()
    assert [s.position for s in the_board.stages] == list(range(9))
    assert the_board.stages[0].name == "Scale-up"
    assert [e.action for e in entries()] == ["stage.added", "stage.changed", "stage.moved"]
    assert entries()[1].summary == (
        "Stage “Scale-up”: renamed “Scaling up” to “Scale-up”; WIP limit 4 → none."
    )


@pytest.mark.parametrize(
    ("wip", "reason"),
    [
        (0, "must be from 1 to 999, or empty for no limit"),
        (1000, "must be from 1 to 999, or empty for no limit"),
        ("5", "must be a whole number, or empty for no limit"),
    ],
)
def test_stage_wip_limit_is_checked(the_board, users, wip, reason):
    with pytest.raises(Invalid) as refused:
        boards.change_stage(users["admin"], the_board.stages[0].id, "Proposed", wip)
    assert refused.value.fields == {"wip_limit": reason}


def test_stage_names_are_unique_on_a_board(the_board, users):
    with pytest.raises(Invalid) as refused:
        boards.change_stage(users["admin"], the_board.stages[0].id, "exploring", None)
    assert refused.value.fields == {"name": "this board already has a stage called “Exploring”"}


def test_stage_holding_initiatives_cannot_be_deleted(the_board, users):
    exploring = stage(the_board, "Exploring")
    make_initiative(the_board, users["envoy"], title="Video companionship", stage_id=exploring)
    archived = make_initiative(the_board, users["envoy"], title="Smart homes", stage_id=exploring)
    board.archive(users["envoy"], archived.id, archived.version)
    db.session.commit()
    before = the_board.last_seq
    with pytest.raises(Conflict) as refused:
        boards.delete_stage(users["admin"], exploring)
    assert refused.value.message == (
        "Stage “Exploring” cannot be deleted: it holds 2 initiatives: “Smart homes (archived)” "
        "and “Video companionship”; move them to another stage first."
    )
    assert "stage" in refused.value.fields
    db.session.rollback()
    assert db.session.get(Stage, exploring) is not None
    assert the_board.last_seq == before and entries() == []


def test_empty_stage_is_deleted_and_the_others_close_up(the_board, users):
    exploring = stage(the_board, "Exploring")
    done = boards.delete_stage(users["admin"], exploring)
    db.session.commit()
    assert done.event.data["change"] == "stage_deleted"
    assert done.event.data["stage"]["name"] == "Exploring"
    db.session.expire_all()
    assert [s.position for s in the_board.stages] == list(range(7))
    assert "Exploring" not in [s.name for s in the_board.stages]
    assert entries("stage.deleted")[0].summary == "Deleted stage “Exploring”."


def test_the_only_stage_cannot_be_deleted(users):
    bare = boards.create_board(users["admin"], "Bare", with_defaults=False).value
    only = boards.add_stage(users["admin"], bare.id, "Only").value
    db.session.commit()
    with pytest.raises(Conflict, match="only stage"):
        boards.delete_stage(users["admin"], only.id)


def test_grand_challenges_are_added_renamed_moved_and_deleted(the_board, users):
    admin = users["admin"]
    lane = boards.add_grand_challenge(admin, the_board.id, "Net zero").value
    db.session.commit()
    boards.rename_grand_challenge(admin, lane.id, "Net zero by 2040")
    boards.move_grand_challenge(admin, lane.id, 0)
    db.session.commit()
    db.session.expire_all()
    assert the_board.grand_challenges[0].name == "Net zero by 2040"
    ageing = next(g for g in the_board.grand_challenges if g.name == "Ageing Society")
    make_initiative(the_board, users["envoy"], title="Video companionship")
    with pytest.raises(Conflict) as refused:
        boards.delete_grand_challenge(admin, ageing.id)
    assert "holds 1 initiative: “Video companionship”" in refused.value.message
    db.session.rollback()
    boards.delete_grand_challenge(admin, lane.id)
    db.session.commit()
    assert [e.action for e in entries()] == [
        "grand_challenge.added",
        "grand_challenge.renamed",
        "grand_challenge.moved",
        "grand_challenge.deleted",
    ]
    assert [e.data["change"] for e in board_events(the_board.id) if e.type == "board_changed"] == [
        "grand_challenge_added",
        "grand_challenge_changed",
        "grand_challenge_moved",
        "grand_challenge_deleted",
    ]


def _claim(the_board, users, initiative, role_name, organisation):
    return board.claim(
        users["envoy"], initiative.id, role_type(the_board, role_name).id, organisation.id
    )


def test_lowering_a_maximum_below_current_holders_is_refused(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Cross-agency data sharing")
    for name in ("Council A", "Council B", "Council C"):
        _claim(the_board, users, initiative, "Partner", make_organisation(name))
    db.session.commit()
    partner = role_type(the_board, "Partner")
    with pytest.raises(Conflict) as refused:
        role_types.change_role_type(users["admin"], partner.id, "Partner", 2)
    assert refused.value.message == (
        "The maximum of Partner cannot be lowered to 2: 1 initiative has more than 2 holders "
        "of Partner (“Cross-agency data sharing” has 3); release claims first."
    )
    assert set(refused.value.fields) == {"max_holders"}
    db.session.rollback()
    db.session.expire_all()
    assert partner.max_holders is None


def test_a_new_maximum_is_enforced_on_later_claims(the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    a, b, c = (make_organisation(n) for n in ("A", "B", "C"))
    _claim(the_board, users, initiative, "Partner", a)
    _claim(the_board, users, initiative, "Partner", b)
    db.session.commit()
    partner = role_type(the_board, "Partner")
    done = role_types.change_role_type(users["admin"], partner.id, "Partner", 2)
    db.session.commit()
    assert done.event.data["from"] == {"max_holders": None}
    slots = db.session.scalars(sa.select(Claim.slot).where(Claim.role_type_id == partner.id))
    assert sorted(slots) == [0, 1]
    with pytest.raises(Conflict, match="already held"):
        _claim(the_board, users, initiative, "Partner", c)
    db.session.rollback()
    # Raised again to any number: the third organisation may claim.
    role_types.change_role_type(users["admin"], partner.id, "Partner", None)
    db.session.commit()
    _claim(the_board, users, initiative, "Partner", c)
    db.session.commit()


def test_role_type_held_on_initiatives_cannot_be_deleted(the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Smart health monitoring")
    _claim(the_board, users, initiative, "Lead", users["member"].organisation)
    db.session.commit()
    lead = role_type(the_board, "Lead")
    with pytest.raises(Conflict) as refused:
        role_types.delete_role_type(users["admin"], lead.id)
    assert refused.value.message == (
        "Role type “Lead” cannot be deleted: it is held 1 time on 1 initiative: "
        "“Smart health monitoring”; release those claims first."
    )
    db.session.rollback()
    added = role_types.add_role_type(users["admin"], the_board.id, "Mentor", 1).value
    db.session.commit()
    assert added.exclusive
    role_types.delete_role_type(users["admin"], added.id)
    db.session.commit()
    assert db.session.get(RoleType, added.id) is None


def test_a_refused_change_leaves_no_audit_entry_and_no_event(the_board, users):
    before = the_board.last_seq
    with pytest.raises(Invalid):
        boards.add_stage(users["admin"], the_board.id, "x" * 81)
    db.session.rollback()
    assert entries() == []
    db.session.expire_all()
    assert the_board.last_seq == before


# --- tokens and audit search --------------------------------------------------------------


def test_members_revoke_their_own_tokens_and_admins_anyones(users):
    member, viewer = users["member"], users["viewer"]
    api_tokens.create_token(member, "mine")
    api_tokens.create_token(viewer, "theirs")
    db.session.commit()
    mine, theirs = tokens.of_user(member.id)[0], tokens.of_user(viewer.id)[0]
    done = tokens.revoke(member, mine.id)
    assert done.end_sockets_of == (member.id,)
    with pytest.raises(Forbidden):
        tokens.revoke(member, theirs.id)
    tokens.revoke(users["admin"], theirs.id)
    db.session.commit()
    assert mine.revoked_at is not None and theirs.revoked_at is not None
    assert [e.summary for e in entries("token.revoked")] == [
        f"{member.name} revoked their own API token “mine”.",
        f"{users['admin'].name} revoked {viewer.name}'s API token “theirs”.",
    ]
    assert not tokens.revoke(users["admin"], theirs.id).changed


def test_audit_search_filters_by_action_actor_target_text_and_date(users, app):
    from zoneinfo import ZoneInfo

    admin, other_admin = users["admin"], make_user("admin", users["admin"].organisation)
    organisations.create(admin, "Alpha")
    organisations.create(other_admin, "Beta")
    boards.create_board(admin, "Gamma board")
    db.session.commit()
    zone = ZoneInfo("Europe/London")

    def found(**filters):
        return [e.summary for e in audit.search(audit.Filters(**filters), zone=zone).entries]

    assert found(action="organisation.created") == [
        "Created organisation “Beta”.",
        "Created organisation “Alpha”.",
    ]
    assert found(action="board.") == ["Created board “Gamma board” with the default stages."]
    assert found(actor_id=other_admin.id) == ["Created organisation “Beta”."]
    assert found(target_type="board") == ["Created board “Gamma board” with the default stages."]
    assert found(text="alpha") == ["Created organisation “Alpha”."]
    today = utcnow().astimezone(zone).date()
    assert len(found(since=today, until=today)) == 3
    assert found(until=today - timedelta(days=1)) == []


def test_reactivating_an_organisation_does_not_revive_old_sessions(users):
    member = users["member"]
    old_session = make_login_session(member)
    organisations.set_active(users["admin"], member.organisation_id, False)
    organisations.set_active(users["admin"], member.organisation_id, True)
    db.session.commit()
    check = accounts.check_login_session(old_session)
    assert check.user is None and check.reason == accounts.ORGANISATION_DEACTIVATED
    assert accounts.user_from_session_id(make_login_session(member)) is not None

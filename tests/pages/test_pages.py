"""Pages: every page action answers as the permission table says, and forms change the
board through the same domain operations as the API."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import last_seq
from tests.factories import challenge, make_initiative, make_organisation, role_type, stage
from tracker import board
from tracker.extensions import db
from tracker.models import Claim, Comment, Initiative


@pytest.fixture
def setting(the_board, users):
    """An initiative proposed by the LEP, one proposed by the member's organisation, and a
    Partner claim held by another organisation."""
    lep_card = make_initiative(the_board, users["envoy"], title="LEP card")
    own_card = make_initiative(the_board, users["member"], title="Police card")
    other = make_organisation("Council")
    db.session.commit()
    claim = board.claim(users["envoy"], lep_card.id, role_type(the_board, "Partner").id, other.id)
    db.session.commit()
    return {"lep": lep_card.id, "own": own_card.id, "claim": claim.value.id, "other": other.id}


def test_anonymous_visitor_is_sent_to_sign_in(client, the_board):
    for path in [
        "/",
        f"/boards/{the_board.id}",
        "/initiatives/1",
        f"/boards/{the_board.id}/initiatives/new",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]
    assert client.get("/login").status_code == 200


def test_anonymous_post_changes_nothing(client, the_board, users, setting):
    before = last_seq(the_board.id)
    response = client.post(f"/initiatives/{setting['lep']}/comments", data={"body": "hi"})
    assert response.status_code in (302, 400)
    assert last_seq(the_board.id) == before


def post(client, auth, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": auth.csrf_token("/")})


# (role, action, expected status, whether the board changes)
MATRIX = [
    ("viewer", "propose_page", 403, False),
    ("member", "propose_page", 200, False),
    ("envoy", "propose_page", 200, False),
    ("viewer", "edit_lep", 403, False),
    ("member", "edit_lep", 403, False),
    ("member", "edit_own", 200, False),
    ("envoy", "edit_lep", 200, False),
    ("viewer", "move_own", 403, False),
    ("member", "move_lep", 403, False),
    ("member", "move_own", 302, True),
    ("envoy", "move_lep", 302, True),
    ("admin", "move_lep", 302, True),
    ("viewer", "claim_own_org", 403, False),
    ("member", "claim_own_org", 302, True),
    ("member", "claim_other_org", 403, False),
    ("envoy", "claim_other_org", 302, True),
    ("viewer", "release_other", 403, False),
    ("member", "release_other", 403, False),
    ("envoy", "release_other", 302, True),
    ("viewer", "comment", 403, False),
    ("member", "comment", 302, True),
    ("viewer", "archive", 403, False),
    ("member", "archive", 403, False),
    ("envoy", "archive", 302, True),
]


@pytest.mark.parametrize(("role", "action", "status", "changes"), MATRIX)
def test_page_action_permissions(
    client, auth, the_board, users, setting, role, action, status, changes
):
    user = users[role]
    auth.login(user)
    before = last_seq(the_board.id)
    lep, own = setting["lep"], setting["own"]
    exploring = stage(the_board, "Exploring")
    partner = role_type(the_board, "Partner").id
    requests = {
        "propose_page": lambda: client.get(f"/boards/{the_board.id}/initiatives/new"),
        "edit_lep": lambda: client.get(f"/initiatives/{lep}/edit"),
        "edit_own": lambda: client.get(f"/initiatives/{own}/edit"),
        "move_lep": lambda: post(
            client, auth, f"/initiatives/{lep}/move", {"stage_id": exploring, "version": 1}
        ),
        "move_own": lambda: post(
            client, auth, f"/initiatives/{own}/move", {"stage_id": exploring, "version": 1}
        ),
        "claim_own_org": lambda: post(
            client,
            auth,
            f"/initiatives/{own}/claims",
            {"role_type_id": partner, "organisation_id": user.organisation_id},
        ),
        "claim_other_org": lambda: post(
            client,
            auth,
            f"/initiatives/{own}/claims",
            {"role_type_id": partner, "organisation_id": setting["other"]},
        ),
        "release_other": lambda: post(client, auth, f"/claims/{setting['claim']}/release", {}),
        "comment": lambda: post(client, auth, f"/initiatives/{lep}/comments", {"body": "Progress"}),
        "archive": lambda: post(
            client, auth, f"/initiatives/{lep}/archive", {"version": 1, "archived": "1"}
        ),
    }
    response = requests[action]()
    assert response.status_code == status
    assert (last_seq(the_board.id) > before) is changes


def test_every_role_reads_board_and_initiative(client, auth, the_board, users, setting):
    for role in ("admin", "envoy", "member", "viewer"):
        auth.login(users[role])
        board_page = client.get(f"/boards/{the_board.id}")
        assert board_page.status_code == 200
        assert "LEP card" in board_page.get_data(as_text=True)
        initiative_page = client.get(f"/initiatives/{setting['lep']}")
        assert initiative_page.status_code == 200
        assert "Council" in initiative_page.get_data(as_text=True)
        auth.logout()


def test_board_shows_columns_swimlanes_rag_lead_and_wip_marker(client, auth, the_board, users):
    exploring = stage(the_board, "Exploring")  # WIP limit 5 on the default board
    cards = [make_initiative(the_board, users["envoy"], stage_id=exploring) for _ in range(6)]
    board.edit(users["envoy"], cards[0].id, 1, {"rag": "red", "rag_reason": "No funder yet"})
    board.claim(
        users["envoy"],
        cards[0].id,
        role_type(the_board, "Lead").id,
        users["member"].organisation_id,
    )
    db.session.commit()
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    for name in (
        "Proposed",
        "Exploring",
        "Evaluated",
        "Parked",
        "Ageing Society",
        "Future of Mobility",
    ):
        assert name in page
    assert "Over its limit" in page
    assert page.count("Over its limit") == 1
    assert "Lead: Police" in page
    assert "RAG status: </span>Red<" in page
    assert 'class="card rag-red"' in page
    assert "0 days in this stage" in page
    # A viewer gets no move controls.
    assert "Move to stage" not in page


def test_propose_form_creates_initiative_and_shows_field_errors(client, auth, the_board, users):
    auth.login(users["member"])
    token = auth.csrf_token(f"/boards/{the_board.id}/initiatives/new")
    data = {
        "csrf_token": token,
        "title": "Smart health monitoring",
        "summary": "At home",
        "grand_challenge_id": challenge(the_board),
        "stage_id": stage(the_board, "Proposed"),
        "rag": "not_set",
        "proposing_organisation_id": users["member"].organisation_id,
    }
    too_long = client.post(
        f"/boards/{the_board.id}/initiatives/new", data={**data, "title": "x" * 121}
    )
    assert too_long.status_code == 422
    assert "Field cannot be longer than 120 characters." in too_long.get_data(as_text=True)
    no_reason = client.post(f"/boards/{the_board.id}/initiatives/new", data={**data, "rag": "red"})
    assert no_reason.status_code == 422
    assert "a RAG status needs a reason" in no_reason.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Initiative)) == 0
    created = client.post(f"/boards/{the_board.id}/initiatives/new", data=data)
    assert created.status_code == 302
    initiative = db.session.scalar(sa.select(Initiative))
    assert initiative.title == "Smart health monitoring"
    assert initiative.proposing_organisation_id == users["member"].organisation_id


def test_edit_form_with_stale_version_shows_conflict_and_keeps_theirs(
    client, auth, the_board, users
):
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    board.edit(users["envoy"], initiative.id, 1, {"title": "Theirs"})
    db.session.commit()
    auth.login(users["envoy"])
    token = auth.csrf_token(f"/initiatives/{initiative.id}/edit")
    response = client.post(
        f"/initiatives/{initiative.id}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "title": "Mine",
            "grand_challenge_id": challenge(the_board),
            "rag": "not_set",
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed the title while you were editing" in page
    assert "Mine" in page  # what the user typed is not lost
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).title == "Theirs"


def test_edit_form_saves_when_a_partner_moved_the_card_meanwhile(client, auth, the_board, users):
    """The edit page sends every field, the Grand Challenge included; a partner's move to
    another stage of the same Grand Challenge is not a conflict with the edit."""
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    board.move(users["admin"], initiative.id, 1, stage(the_board, "Exploring"), 0)
    db.session.commit()
    auth.login(users["envoy"])
    token = auth.csrf_token(f"/initiatives/{initiative.id}/edit")
    response = client.post(
        f"/initiatives/{initiative.id}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "title": "Mine",
            "grand_challenge_id": challenge(the_board),
            "rag": "not_set",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Initiative, initiative.id)
    assert (saved.title, saved.stage_id) == ("Mine", stage(the_board, "Exploring"))


def test_edit_conflict_names_fields_as_people_read_them(client, auth, the_board, users):
    initiative = make_initiative(the_board, users["envoy"], title="Original")
    board.edit(
        users["admin"],
        initiative.id,
        1,
        {"next_step": "Theirs", "rag": "red", "rag_reason": "Funding fell through"},
    )
    db.session.commit()
    auth.login(users["envoy"])
    token = auth.csrf_token(f"/initiatives/{initiative.id}/edit")
    response = client.post(
        f"/initiatives/{initiative.id}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "title": "Original",
            "next_step": "Mine",
            "grand_challenge_id": challenge(the_board),
            "rag": "amber",
            "rag_reason": "Waiting for the ICB",
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        "Someone else changed the next step, RAG status and RAG reason while you were editing"
        in page
    )
    assert "next_step, rag" not in page


def test_move_form_moves_card_and_stale_version_is_explained(client, auth, the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    auth.login(users["envoy"])
    pilot = stage(the_board, "Pilot")
    response = post(
        client, auth, f"/initiatives/{initiative.id}/move", {"stage_id": pilot, "version": 1}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).stage_id == pilot
    stale = post(
        client,
        auth,
        f"/initiatives/{initiative.id}/move",
        {"stage_id": stage(the_board, "Delivery"), "version": 1},
    )
    assert stale.status_code == 302
    follow = client.get(stale.headers["Location"]).get_data(as_text=True)
    assert "Someone else changed this initiative a moment ago" in follow
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).stage_id == pilot


def test_claim_release_and_comment_through_the_initiative_page(client, auth, the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    auth.login(users["member"])
    lead = role_type(the_board, "Evaluator").id
    post(
        client,
        auth,
        f"/initiatives/{initiative.id}/claims",
        {"role_type_id": lead, "organisation_id": users["member"].organisation_id},
    )
    page = client.get(f"/initiatives/{initiative.id}").get_data(as_text=True)
    assert "Police now holds Evaluator." in page
    assert "Claim Evaluator" not in page  # an exclusive role, now held
    assert "claimed Evaluator for Police" in page  # history from events
    claim_id = db.session.scalar(sa.select(Claim.id))
    post(client, auth, f"/claims/{claim_id}/release", {})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
    post(client, auth, f"/initiatives/{initiative.id}/comments", {"body": "Spoke to the ICB."})
    assert db.session.scalar(sa.select(Comment.body)) == "Spoke to the ICB."
    assert "Spoke to the ICB." in client.get(f"/initiatives/{initiative.id}").get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client, auth, the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    auth.login(users["envoy"])
    before = last_seq(the_board.id)
    response = client.post(f"/initiatives/{initiative.id}/comments", data={"body": "no token"})
    assert response.status_code == 400
    assert last_seq(the_board.id) == before


def test_unknown_pages_are_404(client, auth, users, the_board):
    auth.login(users["viewer"])
    assert client.get("/initiatives/99999").status_code == 404
    assert client.get("/boards/99999").status_code == 404


def test_forbidden_and_missing_pages_use_the_site_error_page(client, auth, the_board, users):
    auth.login(users["viewer"])
    forbidden = client.get(f"/boards/{the_board.id}/initiatives/new")
    assert forbidden.status_code == 403
    assert "Back to the board" in forbidden.get_data(as_text=True)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert 'id="main"' in missing.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "card", "may_move"),
    [
        ("member", "own", True),  # proposed by the member's organisation
        ("member", "lep", False),  # someone else's, no role held
        ("envoy", "lep", True),
        ("viewer", "own", False),
    ],
)
def test_card_fragment_renders_one_card_with_the_viewers_permissions(
    client, auth, setting, users, role, card, may_move
):
    """What the board's live script fetches to redraw a card after a change."""
    auth.login(users[role])
    response = client.get(f"/initiatives/{setting[card]}/card")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<li") and html.count('class="card ') == 1
    assert f'id="initiative-{setting[card]}"' in html
    assert f'data-draggable="{"true" if may_move else "false"}"' in html
    assert ('class="move"' in html) is may_move
    assert "<html" not in html  # a fragment, not a page
    if card == "lep":
        assert "Partner: Council" in html  # the other roles held, as on the board


def test_card_fragment_says_when_the_initiative_is_archived(client, auth, setting, users):
    board.archive(users["envoy"], setting["lep"], 1, True)
    db.session.commit()
    auth.login(users["viewer"])
    html = client.get(f"/initiatives/{setting['lep']}/card").get_data(as_text=True)
    assert 'data-archived="true"' in html


def test_card_fragment_needs_sign_in_and_an_existing_initiative(client, auth, setting, users):
    anonymous = client.get(f"/initiatives/{setting['lep']}/card")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    auth.login(users["viewer"])
    assert client.get("/initiatives/99999/card").status_code == 404


@pytest.mark.parametrize(
    ("action", "form", "message"),
    [
        ("move", {"version": "99999999999"}, "This page is out of date"),
        ("move", {"version": "abc"}, "This page is out of date"),
        ("move", {"version": "1", "stage_id": ""}, "Choose a stage to move to."),
        ("archive", {"version": "99999999999", "archived": "1"}, "This page is out of date"),
        ("archive", {"version": "0", "archived": "1"}, "This page is out of date"),
        ("claims", {"role_type_id": "x"}, "Choose a role and an organisation"),
    ],
)
def test_a_refused_action_form_says_why(client, auth, the_board, users, action, form, message):
    initiative = make_initiative(the_board, users["envoy"])
    auth.login(users["envoy"])
    data = {
        "stage_id": stage(the_board, "Pilot"),
        "organisation_id": users["envoy"].organisation_id,
        "csrf_token": auth.csrf_token("/account"),
        **form,
    }
    before = last_seq(the_board.id)
    response = client.post(f"/initiatives/{initiative.id}/{action}", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page
    assert last_seq(the_board.id) == before


@pytest.mark.parametrize("action", ["move", "archive", "claims", "comments", "edit"])
@pytest.mark.parametrize("token", ["", "stale", None])
def test_a_form_without_a_valid_token_says_it_expired_in_plain_words(
    client, auth, the_board, users, action, token
):
    initiative = make_initiative(the_board, users["envoy"])
    auth.login(users["envoy"])
    data = {"version": "1", "stage_id": stage(the_board, "Pilot"), "body": "A note"}
    if token is not None:
        data["csrf_token"] = token
    before = last_seq(the_board.id)
    response = client.post(f"/initiatives/{initiative.id}/{action}", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form has expired, or was not sent from the tracker" in page
    assert "CSRF" not in page
    assert last_seq(the_board.id) == before


def test_pages_hand_their_scripts_the_labels_people_read(client, auth, the_board, users):
    """The scripts' RAG and field labels come from the server's one vocabulary."""
    import html as html_module
    import json

    from tracker.board import EDITABLE_FIELDS
    from tracker.vocabulary import FIELD_LABELS, RAG_LABELS

    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    attribute = re.search(r"<body data-vocabulary='([^']*)'>", page)
    assert attribute is not None
    vocabulary = json.loads(html_module.unescape(attribute.group(1)))
    assert vocabulary == {
        "rag_labels": RAG_LABELS,
        "field_labels": FIELD_LABELS,
        "editable_fields": list(EDITABLE_FIELDS),
    }
    assert vocabulary["rag_labels"]["not_set"] == "Not set"

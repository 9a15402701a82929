from tests.conftest import AuthActions
from tests.factories import make_initiative


def test_envoy_signs_in_and_sees_the_board(client, auth: AuthActions, users, the_board):
    make_initiative(the_board, users["envoy"], title="Video companionship")
    response = auth.login(users["envoy"])
    assert response.status_code == 302
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Video companionship" in page

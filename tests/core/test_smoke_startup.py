import pytest

pytestmark = [pytest.mark.smoke]


def test_healthz_answers_ok_with_the_database_state(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["state"] == "ok"

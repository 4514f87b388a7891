"""Addresses that cannot name anything are a plain 404 page, never a database error."""
import pytest


@pytest.mark.parametrize("url", [
    "/documents/99999999999999999999",
    "/documents/2147483648",
    "/documents/0",
    "/documents/1/clauses/99999999999999999999/edit",
    "/m/%00x/",
    "/m/" + "a" * 500 + "/",
    "/m/Founding-Meeting/",
])
def test_impossible_ids_and_slugs_are_not_found(client, auth, demo, url):
    auth.login("secretary@example.org", "solidarity")
    response = client.get(url)
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_the_largest_id_a_column_holds_is_looked_up(client, auth, demo):
    auth.login("secretary@example.org", "solidarity")
    assert client.get("/documents/2147483647").status_code == 404
    assert client.get("/documents/1").status_code == 200

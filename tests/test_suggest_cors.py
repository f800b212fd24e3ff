"""The help center's header search may read the suggestions from another origin: its own, and no other."""

import pytest

from deflect.web.cors import site_origin
from tests.helpers import make_app

SITE = "https://help.example.com"


@pytest.fixture
def split_client(kb_dir, kb_index, tmp_path):
    """The app with its site on another origin, as DEFLECT_SITE_URL=https://help.example.com/ says."""
    return make_app(
        kb_dir, tmp_path / "var", kb_index, SITE_URL=SITE + "/", SUGGEST_RATE_LIMIT="2 per minute"
    ).test_client()


def suggest(client, origin=None):
    return client.get(
        "/api/suggest", query_string={"q": "forgot password"}, headers={"Origin": origin} if origin else {}
    )


def test_the_site_origin_may_read_the_suggestions(split_client):
    reply = suggest(split_client, SITE)
    assert reply.status_code == 200 and reply.get_json()["results"]
    assert reply.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in reply.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in reply.headers


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://help.example.com", "https://help.example.com.evil.example", "null"]
)
def test_no_other_origin_may(split_client, origin):
    assert "Access-Control-Allow-Origin" not in suggest(split_client, origin).headers


def test_the_limit_answer_is_readable_too_so_the_site_knows_to_fall_back_for_that_query(split_client):
    replies = [suggest(split_client, SITE) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[-1].headers["Access-Control-Allow-Origin"] == SITE


def test_only_the_suggestions_are_shared(split_client):
    assert "Access-Control-Allow-Origin" not in split_client.get("/api/forms", headers={"Origin": SITE}).headers


def test_a_site_on_the_same_origin_needs_nothing(client):
    """Under `deflect serve` and the documented nginx, DEFLECT_SITE_URL is a path or the app's own origin."""
    reply = suggest(client, SITE)
    assert "Access-Control-Allow-Origin" not in reply.headers and "Vary" not in reply.headers


@pytest.mark.parametrize(
    ("site_url", "origin"),
    [
        ("/", None),
        ("/help/", None),
        ("https://help.example.com/", "https://help.example.com"),
        ("https://Help.Example.com:443/kb/", "https://help.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("ftp://help.example.com/", None),
        ("https://help.example.com:x/", None),
    ],
)
def test_the_site_origin_comes_from_the_site_url(site_url, origin):
    assert site_origin(site_url) == origin

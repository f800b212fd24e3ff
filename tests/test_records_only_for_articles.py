"""Page feedback, deflections and the thank-you page name only articles of the search index.

So the report cannot be filled with pages that do not exist, and no link can put its own text
beside the organisation's name.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.helpers import hidden, local, make_app

ARTICLE = "faq/accounts/reset-password/"
TITLE = "Reset your password"


def feedback_rows(app) -> list[tuple[str, int]]:
    """What the store kept of page feedback: (page, helpful)."""
    with sqlite3.connect(app.extensions["deflect"].store.path) as connection:
        return connection.execute("SELECT page, helpful FROM page_feedback ORDER BY id").fetchall()


@pytest.mark.parametrize(
    "page",
    [
        "/faq/accounts/reset-password/",  # location.pathname, as the site's widget sends it
        "faq/accounts/reset-password/",  # the site path, as the API documentation shows
        "/faq/accounts/reset-password/index.html",  # the same page by its file name
        "/faq/accounts/reset-password/#steps",
    ],
)
def test_feedback_for_an_article_is_recorded_under_its_indexed_url(app, client, page):
    reply = client.post("/api/feedback", json={"page": page, "helpful": True})
    assert reply.status_code == 201, reply.get_json()
    assert feedback_rows(app) == [(ARTICLE, 1)]


@pytest.mark.parametrize(
    "page",
    [
        "/faq/accounts/no-such-article/",
        "/",
        "/tags/",
        "/search/search_index.json",
        "/support/",
        "https://evil.example/faq/accounts/reset-password/",
        "//evil.example/faq/accounts/reset-password/",
        "/faq/accounts/reset-password/../../../etc/passwd",
        "BUY CHEAP PILLS",
        "/faq/accounts/%0Areset-password/",
    ],
)
def test_feedback_for_anything_else_is_refused_with_json_and_not_stored(app, client, page):
    reply = client.post("/api/feedback", json={"page": page, "helpful": False})
    assert reply.status_code == 422
    assert "not an article of the help center" in reply.get_json()["errors"]["page"]
    assert feedback_rows(app) == []


@pytest.mark.parametrize("site_url", ["https://help.example.com/kb/", "https://help.example.com/kb", "/kb/"])
def test_under_a_path_prefix_the_widgets_pathname_includes_it(kb_dir, kb_index, tmp_path, site_url):
    """The site served at https://help.example.com/kb/: the widget sends /kb/faq/..."""
    # DEFLECT_SITE_URL is a whole URL or unset (issue 12); the app's SITE_URL may be a path on its host.
    public = {"DEFLECT_SITE_URL": site_url} if site_url.startswith("https://") else {}
    app = make_app(kb_dir, tmp_path / "var", kb_index, SITE_URL=site_url, **public)
    client = app.test_client()
    assert client.post("/api/feedback", json={"page": "/kb/" + ARTICLE, "helpful": True}).status_code == 201
    assert client.post("/api/feedback", json={"page": "/" + ARTICLE, "helpful": True}).status_code == 422
    assert feedback_rows(app) == [(ARTICLE, 1)]


def test_feedback_waits_for_an_index_that_cannot_be_read(kb_dir, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", None)  # no index built
    reply = app.test_client().post("/api/feedback", json={"page": "/" + ARTICLE, "helpful": True})
    assert reply.status_code == 503 and reply.headers["Retry-After"]
    assert "cannot be checked right now" in reply.get_json()["errors"]["page"]
    assert feedback_rows(app) == []


# --- Deflections and the thank-you page -----------------------------------------------------------


def deflect(client, support, url: str, title: str = "Anything the form says"):
    page = support.describe().get_data(as_text=True)
    return client.post("/deflected", data=dict(hidden(page), q="Students not receiving points", url=url, title=title))


def test_a_deflection_records_the_indexed_article_and_its_title_not_the_forms(app, client, support):
    done = deflect(client, support, "/troubleshooting/points-not-awarded/#fix", title="FREE MONEY at evil.example")
    assert done.status_code == 302
    [row] = app.extensions["deflect"].store.list_deflections()
    assert row["article_url"] == "/troubleshooting/points-not-awarded/"
    assert row["article_title"] == "Points not awarded after a quiz completion"
    thanks = client.get(local(done.headers["Location"])).text
    assert "Points not awarded after a quiz completion" in thanks and "FREE MONEY" not in thanks


@pytest.mark.parametrize("url", ["/no/such/article/", "/", "/tags/", "https://evil.example/", "/support/thanks"])
def test_a_deflection_for_a_page_that_is_not_an_article_is_refused_and_not_stored(app, client, support, url):
    refused = deflect(client, support, url)
    assert refused.status_code == 400
    assert "not an article of the help center" in refused.text
    assert app.extensions["deflect"].store.list_deflections() == []


def test_the_thank_you_page_shows_the_title_from_the_index_never_from_the_link(client):
    page = client.get(
        "/thanks", query_string={"title": "Your account is suspended: call +1 555 0100", "url": "/" + ARTICLE}
    ).text
    assert f'<a href="/{ARTICLE}">{TITLE}</a>' in page
    assert "suspended" not in page and "555" not in page


@pytest.mark.parametrize("url", ["/no/such/article/", "https://evil.example/" + ARTICLE, ""])
def test_the_thank_you_page_for_an_unknown_url_shows_no_article(client, url):
    page = client.get("/thanks", query_string={"title": "Call +1 555 0100 now", "url": url}).text
    assert "Glad that solved it" in page
    assert "The article again" not in page and "555" not in page and "evil.example" not in page

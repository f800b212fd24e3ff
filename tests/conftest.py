"""Fixtures per door (`kb_dir`, `app`, `client`, `support`): the helpers they use are in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from deflect.kb.pages import read_folder
from deflect.search import build_index
from tests.helpers import KB, SupportActions, copy_kb, make_app


@pytest.fixture(scope="session")
def kb_index(tmp_path_factory) -> Path:
    """The search index of kb/docs, built once per session (read-only at run time)."""
    folder = tmp_path_factory.mktemp("kb-index") / "index"
    build_index(read_folder(KB / "docs"), folder)
    return folder


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    """A copy of kb/ (without docs, which only the index needs) that a test may change."""
    return copy_kb(tmp_path, docs=False).root


@pytest.fixture
def app(kb_dir, kb_index, tmp_path):
    return make_app(kb_dir, tmp_path / "var", kb_index)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def support(client) -> SupportActions:
    return SupportActions(client)

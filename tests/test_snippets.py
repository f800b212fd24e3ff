"""Snippets: about 200 characters around the matched words, escaped, matches in <mark>."""

from __future__ import annotations

import re

import pytest

from deflect.ranking.snippets import make_snippet

TEXT = (
    "Learn what to do if you are having issues uploading a sketch to your board. "
    "Check the cable, the port and the selected board before you try again. "
) * 4


def marks(*words: str):
    """A `matches` function for these words (compared in lower case)."""
    wanted = {w.lower() for w in words}
    return lambda word: word.lower() if word.lower() in wanted else None


@pytest.mark.parametrize("words", [("learn",), ("uploading",), ("port", "cable"), ("again",), ("nothing",)])
def test_a_snippet_starts_and_ends_on_whole_words(words):
    snippet = make_snippet(TEXT, marks(*words))
    plain = re.sub(r"</?mark>", "", snippet).removeprefix("… ").removesuffix(" …")
    assert TEXT.startswith(plain) or f" {plain}" in TEXT
    assert len(plain) <= 200


def test_matched_words_are_marked_and_markup_in_the_text_is_escaped():
    snippet = make_snippet("Paste <script>alert(1)</script> into the widget settings.", marks("script", "widget"))
    assert "<script>" not in snippet
    assert "&lt;<mark>script</mark>&gt;" in snippet and "<mark>widget</mark>" in snippet

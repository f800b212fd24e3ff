"""How a customer's words are read: folded (case and accents), split, and reduced to what counts.

Questions come with filler ("how do I", "it says", "please help"): these words match every
article and rank none, so they are dropped. The list is generic English support language,
not words of any one knowledge base.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"\w+")
COMBINING = re.compile(r"[\u0300-\u036f]")
APOSTROPHES = str.maketrans({"'": "", "\u2019": "", "\u2018": ""})

# Whoosh's default English stop list, kept so index and query agree.
INDEX_STOP_WORDS = frozenset(
    """
    a an and are as at be by can for from have if in is it may not of on or tbd that the this to
    us we when will with yet you your
""".split()
)

QUESTION_WORDS = (
    frozenset(
        """
    how what why where which who whom whose do does did doing done i im ive id ill me my mine
    myself our ours was were been being am has had having would could should shall there their
    theirs they them its these those then than so just also too very really still some any all
    about into get got getting want wanna need needs trying tried try please help hi hello
    thanks thank anyone someone something anything here dont doesnt didnt cant cannot wont isnt
    arent wasnt keep keeps kept again even though but after before now while way ok okay yes no
""".split()
    )
    | INDEX_STOP_WORDS
)


def fold(text: str) -> str:
    """Lower-case `text` and strip accents, so 'Café' and 'cafe' are the same word."""
    text = text.lower()
    if text.isascii():
        return text
    return COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words(text: str) -> list[str]:
    """Return the folded words of `text`."""
    return WORD.findall(fold(text))


def query_words(query: str) -> list[str]:
    """Return the folded words of a query, apostrophes removed ("can't" -> "cant")."""
    return WORD.findall(fold(query).translate(APOSTROPHES))


def content_words(words: list[str]) -> list[str]:
    """Drop question and filler words; keep everything when nothing else would remain."""
    kept = [w for w in words if w not in QUESTION_WORDS and (len(w) > 1 or w.isdigit())]
    return kept or [w for w in words if w not in INDEX_STOP_WORDS]

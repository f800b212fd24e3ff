"""Words typed apart that the articles write together: "chrome books" -> "chromebooks", "wi fi" -> "wifi".

Checked against the knowledge base's own vocabulary {word: document count}: two adjacent typed
words are also searched as one word when that word is in it. (Splitting an unknown word into two
known ones was measured too and not kept: see benchmarks/README.md.) Plain Python, no Whoosh.
"""

from __future__ import annotations


def joined_pairs(words: list[str], vocabulary: dict[str, int]) -> list[str]:
    """Words of the vocabulary made by joining two adjacent typed words."""
    found = []
    for first, second in zip(words, words[1:]):
        joined = first + second
        if joined in vocabulary and not first.isdigit() and not second.isdigit():
            found.append(joined)
    return found

"""Spelling correction against the knowledge base's own vocabulary.

Only words the index does not know are corrected, so a correct but rare word is never replaced.
Candidates come from deletions (the SymSpell idea): a vocabulary word within one edit of the typed
word shares a one-deletion variant with it; two extra letters are caught by deleting twice from the
typed word. Among candidates the closest wins, then the most frequent.
"""

from __future__ import annotations

from collections import defaultdict

MIN_LENGTH = 4


def _deletes(word: str) -> set[str]:
    """Every string made by deleting one letter of `word`."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) between two words."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Corrects a word to the nearest, most frequent word of a vocabulary {word: document count}."""

    def __init__(self, vocabulary: dict[str, int]):
        self.vocabulary = vocabulary
        self._by_delete: dict[str, list[str]] | None = None
        # A word longer than this is more than two edits from every vocabulary word; its
        # deletions (a square of its length) are never computed.
        self.longest = max(map(len, vocabulary), default=0) + 2

    def _delete_index(self) -> dict[str, list[str]]:
        """Build, once and lazily, the map from one-deletion variants to vocabulary words."""
        if self._by_delete is None:
            index = defaultdict(list)
            for word in self.vocabulary:
                if len(word) >= MIN_LENGTH - 1 and not word.isdigit():
                    for variant in _deletes(word):
                        index[variant].append(word)
            self._by_delete = dict(index)
        return self._by_delete

    def candidates(self, word: str) -> set[str]:
        """Vocabulary words that may be within two edits of `word`."""
        index = self._delete_index()
        found = set(index.get(word, ()))
        firsts = _deletes(word)
        for variant in firsts:
            if variant in self.vocabulary:
                found.add(variant)
            found.update(index.get(variant, ()))
            if len(word) > 6:
                found.update(v for v in _deletes(variant) if v in self.vocabulary)
        return found

    def correct(self, word: str) -> str | None:
        """Return the best correction of `word`, or None when there is none worth making."""
        if not MIN_LENGTH <= len(word) <= self.longest or word.isdigit() or word in self.vocabulary:
            return None
        limit = 1 if len(word) < 6 else 2
        scored = [(edit_distance(word, c), -self.vocabulary[c], c) for c in self.candidates(word)]
        scored = [s for s in scored if s[0] <= limit]
        return min(scored)[2] if scored else None

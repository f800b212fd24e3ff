"""The writers' synonyms file (`kb/synonyms.yml`): groups of words customers use for one thing.

The file is a YAML list; each item is one group, either a comma-separated string
(`- sign in, log in, login`) or a list of strings. Every term of a group stands for every other
at query time. `validate_synonyms` reports mistakes with the file, the line and how to fix them.
"""

from __future__ import annotations

from pathlib import Path

from deflect.kb.problems import InvalidFile, Problem
from deflect.kb.yaml_source import YamlSource
from deflect.ranking.words import words

SHAPE = 'the file must be a list of groups, each line like "- sign in, log in, login"'


def _group_terms(source: YamlSource, index: int) -> list[tuple[str, int]] | None:
    """Return (term, line) for one group, or None when it is neither a string nor a list of strings."""
    item = source.value((index,))
    if isinstance(item, (str, int, float)) and not isinstance(item, bool):
        return [(t.strip(), source.line(index)) for t in str(item).split(",")]
    if isinstance(item, list) and all(isinstance(t, (str, int, float)) for t in item):
        return [(str(t).strip(), source.line(index, i)) for i, t in enumerate(item)]
    return None


def _check_group(source: YamlSource, index: int, seen: dict[str, int]) -> list[Problem]:
    """Problems of one group: wrong type, too few terms, empty terms, terms in two groups."""
    line = source.line(index)
    terms = _group_terms(source, index)
    if terms is None:
        return [Problem(source.path, 'a group must be a string like "sign in, log in" or a list of strings', line)]
    problems = []
    for term, term_line in terms:
        key = " ".join(words(term))
        if not key:
            problems.append(Problem(source.path, "empty term: remove the extra comma", term_line))
        elif key in seen:
            problems.append(Problem(source.path, f"{term!r} is already in the group on line {seen[key]}; merge "
                                                 "the two groups or remove it", term_line))  # fmt: skip
        else:
            seen[key] = line
    if len([t for t, _ in terms if words(t)]) < 2:
        problems.append(Problem(source.path, "a group needs at least two terms, separated by commas", line))
    return problems


def validate_synonyms(path: str | Path) -> list[Problem]:
    """Return the problems of a synonyms file (none when it is fine or absent)."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        source = YamlSource.read(path)
    except InvalidFile as error:
        return error.problems
    if source.data is None:
        return []
    if not isinstance(source.data, list):
        return [source.problem((), SHAPE)]
    seen: dict[str, int] = {}
    return [problem for index in range(len(source.data)) for problem in _check_group(source, index, seen)]


def load_synonyms(path: str | Path | None) -> list[list[str]]:
    """Return the groups of a valid synonyms file as lists of folded terms; [] when absent."""
    if path is None or not Path(path).exists():
        return []
    data = YamlSource.read(path).data or []
    groups = []
    for item in data if isinstance(data, list) else []:
        terms = item.split(",") if isinstance(item, str) else item if isinstance(item, list) else []
        group = [" ".join(words(str(t))) for t in terms if words(str(t))]
        if len(group) >= 2:
            groups.append(group)
    return groups


class Synonyms:
    """Finds the synonym groups a query mentions and the alternatives for them."""

    def __init__(self, groups: list[list[str]]):
        self.lookup: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for group in groups:
            variants = [tuple(term.split()) for term in group]
            for variant in variants:
                others = [v for v in variants if v != variant]
                self.lookup.setdefault(variant, []).extend(others)
        self.longest = max((len(k) for k in self.lookup), default=0)

    def alternatives(self, query_words: list[str]) -> list[tuple[int, int, list[tuple[str, ...]]]]:
        """Return (start, end, alternative word tuples) for each synonym term found in the words."""
        found, i = [], 0
        while i < len(query_words):
            for size in range(min(self.longest, len(query_words) - i), 0, -1):
                key = tuple(query_words[i : i + size])
                if key in self.lookup:
                    found.append((i, i + size, self.lookup[key]))
                    i += size - 1
                    break
            i += 1
        return found

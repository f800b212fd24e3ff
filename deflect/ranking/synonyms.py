"""The writers' synonyms file (`kb/synonyms.yml`): groups of words customers use for one thing.

The file is a YAML list; each item is one group, either a comma-separated string
(`- sign in, log in, login`) or a list of strings. Every term of a group stands for every other
at query time. `validate_synonyms` reports mistakes with the file, the line and how to fix them.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from deflect.kb.problems import Problem

WORD = re.compile(r"\w+")
COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower-case `text` and strip accents, so 'Café' and 'cafe' are the same word."""
    text = text.lower()
    if text.isascii():
        return text
    return COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words(text: str) -> list[str]:
    """Return the folded words of `text`."""
    return WORD.findall(fold(text))


def _group_terms(node: yaml.Node) -> list[tuple[str, int]] | None:
    """Return (term, line) for one group node, or None when the node is neither a string nor a list."""
    if isinstance(node, yaml.ScalarNode):
        return [(t.strip(), node.start_mark.line + 1) for t in str(node.value).split(",")]
    if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
        return [(str(n.value).strip(), n.start_mark.line + 1) for n in node.value]
    return None


def _compose(path: Path) -> tuple[yaml.Node | None, list[Problem]]:
    """Parse the file into a YAML node tree; a syntax error becomes a Problem."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8")), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(error, "problem", None) or str(error)
        return None, [Problem(path, line=line, message=f"not valid YAML ({reason}); fix the indentation or quoting")]


def _check_group(path: Path, node: yaml.Node, seen: dict[str, int]) -> list[Problem]:
    """Problems of one group: wrong type, too few terms, empty terms, terms in two groups."""
    line = node.start_mark.line + 1
    terms = _group_terms(node)
    if terms is None:
        return [Problem(path, line=line, message='a group must be a string like "sign in, log in" or a list of strings')]
    problems = []
    for term, term_line in terms:
        key = " ".join(words(term))
        if not key:
            problems.append(Problem(path, line=term_line, message=f"empty term in {node.value!r}; remove the extra comma"))
        elif key in seen:
            problems.append(Problem(
                path, line=term_line, message=f"{term!r} is already in the group on line {seen[key]}; merge the two groups or remove it"))
        else:
            seen[key] = line
    if len([t for t, _ in terms if words(t)]) < 2:
        problems.append(Problem(path, line=line, message="a group needs at least two terms, separated by commas"))
    return problems


def validate_synonyms(path: str | Path) -> list[Problem]:
    """Return the problems of a synonyms file (none when it is fine or absent)."""
    path = Path(path)
    if not path.exists():
        return []
    root, problems = _compose(path)
    if problems or root is None:
        return problems
    if not isinstance(root, yaml.SequenceNode):
        return [Problem(path, line=root.start_mark.line + 1,
                        message='the file must be a list of groups, each line like "- sign in, log in, login"')]
    seen: dict[str, int] = {}
    for node in root.value:
        problems.extend(_check_group(path, node, seen))
    return problems


def load_synonyms(path: str | Path | None) -> list[list[str]]:
    """Return the groups of a valid synonyms file as lists of folded terms; [] when absent."""
    if path is None or not Path(path).exists():
        return []
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
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
                key = tuple(query_words[i:i + size])
                if key in self.lookup:
                    found.append((i, i + size, self.lookup[key]))
                    i += size - 1
                    break
            i += 1
        return found

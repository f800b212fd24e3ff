"""Every writer's YAML (support.yml, forms, synonyms.yml, front matter) read one way: with the line of
every key, and checked with one typed getter, so every problem names the file, the line, the key
and the fix in the same words.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from deflect.kb.problems import InvalidFile, Problem

KeyPath = tuple[Any, ...]
KIND_WORDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number", list: "a list",
              dict: "a mapping"}  # fmt: skip
TEXT = (str, int, float)  # what a writer types as text: `prefix: 2026` is the text "2026"


def _lines(node: yaml.Node, path: KeyPath, out: dict[KeyPath, int], offset: int) -> None:
    """Record the 1-based line of `node` under `path`, then of its children."""
    out[path] = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(value, path + (key.value,), out, offset)
            out[path + (key.value,)] = key.start_mark.line + 1 + offset
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, path + (index,), out, offset)


def kind_words(kind: type | tuple[type, ...]) -> str:
    """What a writer must write, in words: `a whole number`, `text`, `a list or a mapping`."""
    kinds = (kind,) if isinstance(kind, type) else kind
    if set(kinds) == set(TEXT):
        return "text"
    return " or ".join(KIND_WORDS.get(k, k.__name__) for k in kinds)


def _has_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that true and false are not numbers or text."""
    kinds = (kind,) if isinstance(kind, type) else kind
    return isinstance(value, kind) and not (isinstance(value, bool) and bool not in kinds)


class YamlSource:
    """A parsed YAML file plus the line of each key path, e.g. ("plans", 0, "targets")."""

    def __init__(self, path: Path, data: Any, lines: dict[KeyPath, int]):
        self.path = path
        self.data = data
        self._lines = lines

    @classmethod
    def read(cls, path: str | Path) -> YamlSource:
        """Parse the file at `path`; a missing file or a YAML syntax error raises InvalidFile with the line."""
        path = Path(path)
        if not path.is_file():
            raise InvalidFile([Problem(path, "file not found: create it (see CONTRIBUTING.md)")])
        return cls.parse(path.read_text(encoding="utf-8"), path)

    @classmethod
    def parse(cls, text: str, path: str | Path, first_line: int = 1) -> YamlSource:
        """Parse YAML that starts on `first_line` of the file at `path` (front matter starts on line 2)."""
        loader = yaml.SafeLoader(text)
        try:  # one parse: the node tree gives the lines, and the data is built from it
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + first_line if mark else None
            problem = getattr(error, "problem", None) or str(error)
            raise InvalidFile(
                [Problem(path, f"invalid YAML: {problem}; fix the indentation or quoting", line)]
            ) from None
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _lines(node, (), lines, first_line - 1)
        return cls(Path(path), data, lines)

    def line(self, *path: Any) -> int | None:
        """Return the line of the longest known prefix of `path`."""
        for end in range(len(path), -1, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return None

    def problem(self, path: KeyPath, message: str, warning: bool = False) -> Problem:
        """Return a Problem in this file at the line of `path`, naming the key."""
        key = ".".join(str(p) for p in path)
        text = f"{key}: {message}" if key else message
        return Problem(self.path, text, self.line(*path), warning)

    def value(self, path: KeyPath) -> Any:
        """The value at `path`, or None when any part of it is missing."""
        value = self.data
        for key in path:
            if isinstance(value, dict):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                value = value[key]
            else:
                return None
        return value

    def get(self, path: KeyPath, kind: type | tuple[type, ...], problems: list[Problem], required: bool = False,
            default: Any = None, guide: str = "see CONTRIBUTING.md") -> Any:  # fmt: skip
        """The value at `path` when it has the right type; else `default`, with the problem recorded."""
        value = self.value(path)
        if value is None or (isinstance(value, str) and not value.strip() and kind in (str, TEXT)):
            if required:
                problems.append(self.problem(path, f"missing: add `{path[-1]}:` ({guide})"))
            return default
        if not _has_kind(value, kind):
            problems.append(self.problem(path, f"must be {kind_words(kind)}, not {value!r}"))
            return default
        return value

    def text(self, path: KeyPath, problems: list[Problem], required: bool = False, default: str = "",
             guide: str = "see CONTRIBUTING.md") -> str:  # fmt: skip
        """The text at `path`, stripped (a number written there is its text)."""
        value = self.get(path, TEXT, problems, required, None, guide)
        return default if value is None else str(value).strip()

    def known(
        self, path: KeyPath, allowed: set[str], problems: list[Problem], guide: str = "see CONTRIBUTING.md"
    ) -> None:
        """Record every key of the mapping at `path` that is not in `allowed`, suggesting the closest one."""
        mapping = self.value(path)
        for key in mapping if isinstance(mapping, dict) else ():
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f"did you mean `{close[0]}`?" if close else f"use one of {', '.join(sorted(allowed))}"
                problems.append(self.problem(path + (key,), f"unknown key: {hint} ({guide})"))

"""YAML files read with the line of every key, so problems can point at the line to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from deflect.kb.problems import InvalidFile, Problem

KeyPath = tuple[Any, ...]


def _lines(node: yaml.Node, path: KeyPath, out: dict[KeyPath, int]) -> None:
    """Record the 1-based line of `node` under `path`, then of its children."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(value, path + (key.value,), out)
            out[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, path + (index,), out)


class YamlSource:
    """A parsed YAML file plus the line of each key path, e.g. ("plans", 0, "targets")."""

    def __init__(self, path: Path, data: Any, lines: dict[KeyPath, int]):
        self.path = path
        self.data = data
        self._lines = lines

    @classmethod
    def read(cls, path: str | Path) -> "YamlSource":
        """Parse `path`; a missing file or a YAML syntax error raises InvalidFile with the line."""
        path = Path(path)
        if not path.is_file():
            raise InvalidFile([Problem(path, "file not found: create it (see CONTRIBUTING.md)")])
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark else None
            problem = getattr(error, "problem", None) or str(error)
            raise InvalidFile([Problem(path, f"invalid YAML: {problem}; fix the syntax", line)]) from None
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _lines(node, (), lines)
        return cls(path, data, lines)

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

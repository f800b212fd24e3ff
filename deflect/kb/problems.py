"""What `deflect check` and start-up report: a problem a writer must fix, and where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One mistake in a writer's file: where it is, what is wrong and how to fix it."""

    file: Path | str
    message: str
    line: int | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        kind = "warning" if self.warning else "error"
        return f"{where}: {kind}: {self.message}"


class InvalidFile(Exception):
    """A writer's file that cannot be used; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def problems_of(read: Callable[..., Any], *args: Any) -> list[Problem]:
    """The problems `read(*args)` finds in a writer's file (what its InvalidFile carries); [] when valid."""
    try:
        read(*args)
    except InvalidFile as error:
        return error.problems
    return []

"""The shape of the package, held by plain `ast`: no import cycles, and the boundaries of DESIGN.md.

- no cycle among deflect's modules (a module importing a package counts as importing its __init__);
- every subpackage's `__init__.py` docstring says what it may import ("May import: ..."), and its
  modules import no other part of deflect;
- only deflect/search.py imports Whoosh; Flask and its parts only deflect/app.py and deflect/web/;
  only deflect/store/ speaks SQL; nothing imports the CLI; models do not import their readers;
- at most about ten modules directly in deflect/, none over 300 lines (search.py, 400).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "deflect"
FLASK = {"flask", "flask_wtf", "flask_limiter", "werkzeug", "jinja2", "wtforms"}  # itsdangerous is not Flask
SQL = {"sqlite3", "psycopg", "psycopg_pool"}
MAY_IMPORT = re.compile(r"^May import:\s*(.*?)\.?\s*$", re.MULTILINE | re.IGNORECASE)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(current: str, node: ast.ImportFrom) -> list[str]:
    """The absolute module names an `import from` names (relative imports resolved)."""
    if node.level:
        base = current.split(".")
        is_package = modules()[current].name == "__init__.py"
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


@cache
def imports(name: str) -> frozenset[str]:
    """Every module name `name` imports anywhere in its file (inside functions too)."""
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.update(_resolve(name, node))
    return frozenset(found)


def internal_imports(name: str) -> set[str]:
    """The deflect modules `name` imports (a name that is not a module is its package)."""
    found = set()
    for target in imports(name):
        while target and target not in modules():
            target = target.rpartition(".")[0]
        if target.startswith("deflect.") and target != name:
            found.add(target)
    return found


def top_packages(name: str) -> set[str]:
    return {t.split(".")[0] for t in imports(name)}


def part(name: str) -> str:
    """The part of deflect a module belongs to: `web` for deflect.web.flow, `app` for deflect.app."""
    return name.split(".")[1] if "." in name else ""


def test_no_import_cycles():
    graph = {name: internal_imports(name) for name in modules()}
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)


def subpackages() -> list[str]:
    return sorted(n for n, p in modules().items() if p.name == "__init__.py" and n != "deflect")


@pytest.mark.parametrize("package", subpackages())
def test_each_subpackage_says_what_it_holds_and_may_import(package):
    doc = ast.get_docstring(ast.parse(modules()[package].read_text(encoding="utf-8"))) or ""
    assert doc and MAY_IMPORT.search(doc), f"{package}/__init__.py needs a docstring with a 'May import:' line"


@pytest.mark.parametrize("package", subpackages())
def test_modules_import_only_what_their_package_allows(package):
    doc = ast.get_docstring(ast.parse(modules()[package].read_text(encoding="utf-8"))) or ""
    allowed = {w.strip() for w in MAY_IMPORT.search(doc).group(1).split(",") if w.strip() not in ("", "nothing")}
    if allowed == {"everything"}:
        return
    own = part(package)
    for name in [n for n in modules() if n == package or n.startswith(package + ".")]:
        for target in internal_imports(name):
            where = part(target)
            assert where in allowed | {own}, (
                f"{name} imports {target}; {package} may import {sorted(allowed) or 'nothing'}"
            )


def test_only_search_imports_whoosh():
    users = sorted(n for n in modules() if "whoosh" in top_packages(n))
    assert users == ["deflect.search"]


def test_only_the_app_and_the_web_layer_import_flask():
    users = sorted(n for n in modules() if top_packages(n) & FLASK)
    assert all(n == "deflect.app" or n.startswith("deflect.web") for n in users), users


def test_only_the_store_speaks_sql():
    users = sorted(n for n in modules() if top_packages(n) & SQL)
    assert all(n.startswith("deflect.store") for n in users), users


def test_nothing_imports_the_cli():
    users = sorted(
        n
        for n in modules()
        if not n.startswith("deflect.cli")
        and n != "deflect.__main__"
        and any(t == "deflect.cli" or t.startswith("deflect.cli.") for t in internal_imports(n))
    )
    assert users == []


def test_models_do_not_import_their_readers():
    for name in modules():
        if name.endswith(".model"):
            reader = name.rpartition(".")[0] + ".reader"
            assert reader not in internal_imports(name), f"{name} imports {reader}"


def test_the_top_level_is_small_and_modules_are_short():
    top = [n for n, p in modules().items() if p.parent == PACKAGE]
    assert len(top) <= 10, sorted(top)
    for name, path in modules().items():
        limit = 400 if name == "deflect.search" else 300
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= limit, f"{path.relative_to(PACKAGE.parent)} has {lines} lines (at most {limit})"


def test_every_library_deflect_imports_is_declared_in_pyproject():
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in pyproject["dependencies"]}
    for extra in pyproject.get("optional-dependencies", {}).values():
        declared |= {re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in extra}
    distributions = packages_distributions()
    for name in modules():
        for top in top_packages(name) - {"deflect", "__future__"} - set(sys.stdlib_module_names):
            owners = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            assert owners & declared, (
                f"{name} imports {top} ({', '.join(sorted(owners))}): declare it in pyproject.toml"
            )

"""A knowledge base's forms folder read whole: every form file, and `config.yml` for the chooser."""

from __future__ import annotations

from pathlib import Path

from deflect.forms.model import ContactLink, FormSet
from deflect.forms.reader import read_form
from deflect.kb.problems import InvalidFile, Problem
from deflect.kb.yaml_source import YamlSource
from deflect.policy.model import Policy

CONFIG_FILE = "config.yml"


def load_forms(forms_dir: str | Path, policy: Policy) -> FormSet:
    """Read and check every form; raise InvalidFile listing every problem with its line."""
    forms_dir = Path(forms_dir)
    files = sorted(p for p in forms_dir.glob("*.y*ml") if p.name != CONFIG_FILE) if forms_dir.is_dir() else []
    if not files:
        raise InvalidFile(
            [
                Problem(
                    forms_dir,
                    "no request forms: add at least one form file such as problem.yml (see kb/forms/README.md)",
                )
            ]
        )
    problems: list[Problem] = []
    forms = [read_form(path, policy, problems) for path in files]
    links = read_config(forms_dir / CONFIG_FILE, problems)
    if problems:
        raise InvalidFile(problems)
    ordered = sorted((f for f in forms if f), key=lambda f: (f.order, f.id))
    return FormSet(tuple(ordered), tuple(links))


def read_config(path: Path, problems: list[Problem]) -> list[ContactLink]:
    """Read `config.yml`: `contact_links` for the chooser; `blank_issues_enabled` must be false."""
    if not path.exists():
        return []
    try:
        source = YamlSource.read(path)
    except InvalidFile as error:
        problems.extend(error.problems)
        return []
    data = source.data if isinstance(source.data, dict) else {}
    if data.get("blank_issues_enabled", False) is not False:
        problems.append(source.problem(("blank_issues_enabled",), "must be false: every request goes through a form"))
    for key in data:
        if key not in ("blank_issues_enabled", "contact_links"):
            problems.append(source.problem((key,), "unknown key: use blank_issues_enabled or contact_links"))
    links = []
    for index, item in enumerate(data.get("contact_links") or []):
        missing = [
            k for k in ("name", "url", "about") if not isinstance(item, dict) or not str(item.get(k) or "").strip()
        ]
        if missing:
            problems.append(
                source.problem(
                    ("contact_links", index), f"missing {', '.join(missing)}: each link needs name, url and about"
                )
            )
            continue
        if not str(item["url"]).strip().startswith(("/", "https://", "http://", "mailto:")):
            problems.append(
                source.problem(("contact_links", index, "url"), "must start with /, https://, http:// or mailto:")
            )
            continue
        links.append(ContactLink(str(item["name"]).strip(), str(item["url"]).strip(), str(item["about"]).strip()))
    return links

"""Where the files of one knowledge base live (`kb/` or `examples/<name>/`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KnowledgeBase:
    """The folder a writer keeps: docs/, support.yml, forms/, tags.yml, synonyms.yml."""

    root: Path

    @classmethod
    def at(cls, folder: str | Path) -> KnowledgeBase:
        """Return the knowledge base in `folder` (resolved to an absolute path)."""
        return cls(Path(folder).resolve())

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def overrides(self) -> Path:
        return self.root / "overrides"

    @property
    def support_file(self) -> Path:
        return self.root / "support.yml"

    @property
    def forms(self) -> Path:
        return self.root / "forms"

    @property
    def tags_file(self) -> Path:
        return self.root / "tags.yml"

    @property
    def synonyms_file(self) -> Path:
        return self.root / "synonyms.yml"

    def site_dir(self, data_dir: str | Path) -> Path:
        """Where the site is built: `site/` beside the project's `kb/`, else under the data dir."""
        if self.root.name == "kb":
            return self.root.parent / "site"
        return Path(data_dir).resolve() / "kbs" / self.root.name / "site"

    def index_dir(self, data_dir: str | Path) -> Path:
        """Where the search index is built: `<data dir>/index` for `kb/`, else per knowledge base."""
        if self.root.name == "kb":
            return Path(data_dir).resolve() / "index"
        return Path(data_dir).resolve() / "kbs" / self.root.name / "index"

    def site_config(self) -> dict:
        """The site's MkDocs config as MkDocs reads it (`INHERIT` merged), unvalidated."""
        from mkdocs.utils.yaml import yaml_load

        with open(self.mkdocs_file, "rb") as handle:
            return yaml_load(handle)

    @property
    def mkdocs_file(self) -> Path:
        """The site's MkDocs config: the KB's own, else the project's `mkdocs.yml` beside `kb/`."""
        own = self.root / "mkdocs.yml"
        return own if own.exists() else self.root.parent / "mkdocs.yml"

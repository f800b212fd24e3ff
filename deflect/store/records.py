"""What customers tell the knowledge base: deflections, content gaps and page feedback."""

from __future__ import annotations

from deflect.store.model import stamp, utcnow


class RecordQueries:
    """The deflections, content_gaps and page_feedback tables; mixed into the store (`_connect`)."""

    def record_deflection(self, query: str, article_url: str, article_title: str, from_page: str | None = None) -> None:
        """Record that an article answered a customer who was about to file a request."""
        with self._connect(write=True) as connection:
            connection.execute(
                "INSERT INTO deflections (created_at, query, article_url, article_title, from_page) VALUES (?, ?, ?, ?, ?)",
                (stamp(utcnow()), query, article_url, article_title, from_page),
            )

    def list_deflections(self) -> list[dict]:
        """Return every recorded deflection, oldest first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT * FROM deflections ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def record_content_gap(self, query: str, results: int, suggestion: str | None) -> None:
        """Count a query the knowledge base could not answer (same query, case-insensitive, counts up)."""
        key = " ".join(query.lower().split())[:500]
        now = stamp(utcnow())
        with self._connect(write=True) as connection:
            connection.execute(
                "INSERT INTO content_gaps (query, first_seen, last_seen, count, results, suggestion)"
                " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (query) DO UPDATE SET"
                " last_seen = excluded.last_seen, count = content_gaps.count + 1, results = excluded.results,"
                " suggestion = excluded.suggestion",
                (key, now, now, results, suggestion),
            )

    def list_content_gaps(self) -> list[dict]:
        """Return the content gaps, most asked first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT * FROM content_gaps ORDER BY count DESC, last_seen DESC").fetchall()
        return [dict(row) for row in rows]

    def record_page_feedback(
        self, page: str, helpful: bool, comment: str | None = None, title: str | None = None
    ) -> None:
        """Record a "Was this page helpful?" answer from the site, with the reader's comment if any and
        the article's title (so the dashboard names an article the support form never showed)."""
        with self._connect(write=True) as connection:
            connection.execute(
                "INSERT INTO page_feedback (created_at, page, helpful, comment, title) VALUES (?, ?, ?, ?, ?)",
                (stamp(utcnow()), page[:500], int(helpful), comment or None, title[:500] if title else None),
            )

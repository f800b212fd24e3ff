"""The support team's accounts for the dashboard, and their sessions.

The store keeps only what it is given: a password hash made by `deflect.accounts` (never
the password), and the SHA-256 of a session token (never the token, which lives in the browser's
cookie), so neither a copy of the file nor its logs let anyone log in.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from deflect.store.model import stamp, utcnow


def token_hash(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountQueries:
    """The admins and admin_sessions tables; mixed into the store (`_connect`)."""

    def save_admin(self, email: str, password_hash: str) -> bool:
        """Create the account, or give an existing one this password (ending its sessions); True when new."""
        email = email.strip().lower()
        with self._connect(write=True) as connection:
            row = connection.execute("SELECT id FROM admins WHERE email = ?", (email,)).fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO admins (email, password_hash, created_at) VALUES (?, ?, ?)",
                    (email, password_hash, stamp(utcnow())),
                )
                return True
            connection.execute("UPDATE admins SET password_hash = ? WHERE id = ?", (password_hash, row["id"]))
            connection.execute("DELETE FROM admin_sessions WHERE admin_id = ?", (row["id"],))
        return False

    def admin_password_hash(self, email: str) -> str | None:
        """The stored hash of this account's password, or None when there is no such account."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT password_hash FROM admins WHERE email = ?", (email.strip().lower(),)
            ).fetchone()
        return row["password_hash"] if row else None

    def list_admins(self) -> list[dict]:
        """Every account (email, created_at), by email."""
        with self._connect() as connection:
            rows = connection.execute("SELECT email, created_at FROM admins ORDER BY email").fetchall()
        return [dict(row) for row in rows]

    def remove_admin(self, email: str) -> bool:
        """Delete the account and its sessions; False when there was none."""
        with self._connect(write=True) as connection:
            row = connection.execute("SELECT id FROM admins WHERE email = ?", (email.strip().lower(),)).fetchone()
            if row is None:
                return False
            connection.execute("DELETE FROM admin_sessions WHERE admin_id = ?", (row["id"],))
            connection.execute("DELETE FROM admins WHERE id = ?", (row["id"],))
        return True

    def start_admin_session(self, email: str, token: str, lifetime: dt.timedelta) -> None:
        """Remember a session for this account (by the token's hash) until `lifetime` from now."""
        now = utcnow()
        with self._connect(write=True) as connection:
            connection.execute("DELETE FROM admin_sessions WHERE expires_at < ?", (stamp(now),))
            connection.execute(
                "INSERT INTO admin_sessions (token_hash, admin_id, created_at, expires_at)"
                " SELECT ?, id, ?, ? FROM admins WHERE email = ?",
                (token_hash(token), stamp(now), stamp(now + lifetime), email.strip().lower()),
            )

    def admin_of_session(self, token: str) -> str | None:
        """The email of the account whose unexpired session this token is, else None."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT a.email FROM admin_sessions s JOIN admins a ON a.id = s.admin_id"
                " WHERE s.token_hash = ? AND s.expires_at > ?",
                (token_hash(token), stamp(utcnow())),
            ).fetchone()
        return row["email"] if row else None

    def end_admin_session(self, token: str) -> None:
        """Forget this session (log out): the cookie no longer opens anything, even if copied."""
        with self._connect(write=True) as connection:
            connection.execute("DELETE FROM admin_sessions WHERE token_hash = ?", (token_hash(token),))

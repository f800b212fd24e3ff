"""The one object the dashboard, `deflect report --json` and the CSV exports all show, for a period.

Deflection rate = deflections / (deflections + filed requests), always beside its counts; None when
there is nothing to divide. Days are UTC days. Visits still in the store are counted from their events,
purged ones from the daily counts kept for them (`ledger_days`), never both.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from deflect.report import gaps
from deflect.report.facts import feedback_facts, moment, visit_facts
from deflect.report.period import Period, bucket_of

COMMENTS_MAX = 20  # comments shown per article, newest first


def rates(counts: Counter) -> dict:
    """Filed, deflections, failed and provisional deflections, and the rate they make."""
    filed, deflected = counts["filed"], counts["deflected"]
    return {
        "filed": filed,
        "deflections": deflected,
        "failed_deflections": counts["failed"],
        "provisional_deflections": counts["provisional"],
        "deflection_rate": round(deflected / (deflected + filed), 4) if deflected + filed else None,
    }


def targets(counts: Counter) -> dict:
    """Filed requests by what the ledger can tell of their response target."""
    return {key: counts["target_" + key] for key in ("in_time", "late", "not_due", "unknown")}


def figures(store, period: Period, window: dt.timedelta, now: dt.datetime, by: str | None = None) -> dict:
    """Every figure of the period, from the store's rows; `by` buckets the time series (`day`, `week`)."""
    events = store.visits_between(period.start, period.end)
    feedback = store.feedback_between(period.start, period.end)
    kept = [tuple(row.values()) for row in store.counted_days(period.first.isoformat(), period.last.isoformat())]
    first, last = period.first.isoformat(), period.last.isoformat()
    facts = [f for f in visit_facts(events, window, now) + feedback_facts(feedback) + kept if first <= f[0] <= last]
    bucket = period.bucket_size(by)
    total = _fold(facts, lambda f: "all")["all"]
    found = {
        "period": {**period.as_json(), "bucket": bucket, "window_hours": window.total_seconds() / 3600},
        **rates(total),
        "searches": total["searched"],
        "searches_without_results": total["no_results"],
        "targets": targets(total),
        "over_time": _over_time(facts, period, bucket),
        "by_form": _by(facts, "form", lambda f: f[2]),
        "by_tag": _by(facts, "tag", lambda f: f[3]),
        "filed_by_form_and_tag": _filed_by_form_and_tag(facts),
        "articles": articles(facts, feedback),
        "content_gaps": content_gaps(events, period),
        "delivery": delivery(store, now),
    }
    found["no_data"] = not facts
    found["message"] = f"No visits, requests or page feedback from {first} to {last}." if not facts else None
    return found


def _fold(facts: list[tuple], key) -> dict:
    """The facts' counts by metric, for each key the function gives a fact."""
    folded: dict = defaultdict(Counter)
    for fact in facts:
        folded[key(fact)][fact[1]] += fact[6]
    return folded


def _over_time(facts: list[tuple], period: Period, bucket: str) -> list[dict]:
    folded = _fold(facts, lambda f: bucket_of(f[0], bucket))
    return [{"start": b.isoformat(), **rates(folded[b.isoformat()])} for b in period.buckets(bucket)]


def _by(facts: list[tuple], name: str, key) -> list[dict]:
    """Rates by form or by tag (only those that filed, were deflected or failed)."""
    folded = _fold([f for f in facts if not f[4]], key)
    rows = [{name: value or "(none)", **rates(counts)} for value, counts in sorted(folded.items())]
    return [row for row in rows if row["filed"] or row["deflections"] or row["failed_deflections"]]


def _filed_by_form_and_tag(facts: list[tuple]) -> list[dict]:
    folded = _fold([f for f in facts if not f[4]], lambda f: (f[2], f[3]))
    rows = [{"form": form, "tag": tag, "filed": c["filed"], **targets(c)} for (form, tag), c in sorted(folded.items())]
    return [row for row in rows if row["filed"]]


def articles(facts: list[tuple], feedback: list[dict]) -> list[dict]:
    """Each article met in the period, the ones that fail most first: filed anyway after seeing it,
    plus "not helpful" answers; then withdrawn "solved it", then how often it was shown."""
    titles = {f[4]: f[5] for f in facts if f[4] and f[5]}
    folded = _fold([f for f in facts if f[4]], lambda f: f[4])
    comments = defaultdict(list)
    for row in reversed(feedback):
        if row.get("comment") and len(comments[row["page"]]) < COMMENTS_MAX:
            note = {"at": row["created_at"][:16], "helpful": bool(row["helpful"]), "comment": row["comment"]}
            comments[row["page"]].append(note)
    rows = []
    for url, c in folded.items():
        row = {"url": url, "title": titles.get(url, url), "shown": c["shown"], "opened": c["opened"]}
        row.update(solved=c["solved"], confirmed=c["confirmed"], failed_deflections=c["withdrawn"])
        row.update(filed_anyway=c["filed_anyway"], helpful=c["helpful"], not_helpful=c["not_helpful"])
        row["fails"] = row["filed_anyway"] + row["not_helpful"]
        row["comments"] = comments[url]
        rows.append(row)
    rows.sort(key=lambda r: (-r["fails"], -r["failed_deflections"], -r["shown"], r["title"]))
    return rows


def content_gaps(events: list[dict], period: Period) -> dict:
    """Descriptions that found nothing, and those whose visits were shown articles and filed anyway."""
    start, end = period.start, period.end
    inside = [e for e in events if start <= moment(e["at"]) < end]
    shown = {e["visit"] for e in events if e["kind"] == "shown"}
    nothing = Counter(gaps.normalised(e["description"]) for e in inside if e["kind"] == "searched" and not e["results"])
    filed = Counter(gaps.normalised(e["description"]) for e in inside if e["kind"] == "filed" and e["visit"] in shown)
    nothing.pop("", None)
    filed.pop("", None)
    return {"no_results": gaps.group(nothing), "filed_anyway": gaps.group(filed)}


def delivery(store, now: dt.datetime) -> dict:
    """Waiting and failed messages now, and the age of the oldest of each (seconds)."""
    health = store.outbox_health()
    return {
        status: {
            "count": state["count"],
            "oldest_age_seconds": int((now - moment(state["oldest"])).total_seconds()) if state["oldest"] else None,
        }
        for status, state in health.items()
    }

"""The printout of benchmarks/attack.py: figures first, then each finding with its reproducer."""

from __future__ import annotations

from collections import Counter, defaultdict

from benchmarks.attack_inputs import Probe

SHOWN = 10  # findings printed per kind; every one has its file
TITLES = {
    "500": "500s",
    "slow": "slow answers (> 2 s)",
    "no answer": "no answer (connection closed, or timed out: then counted as slow too)",
    "long header": "answers with a header over 8 KB (input echoed into it; reported, not a failure)",
    "markup": "markup echoed unescaped in an HTML page",
    "header": "mail: header lines input added or reshaped",
    "recipient": "mail: recipients other than the typed or route addresses",
    "mime": "mail: non-text/plain parts",
    "script error": "errors of this script itself (a bug here, not in deflect)",
}


def describe(probe: Probe | None, limit: int = 160) -> str:
    """One line saying what a probe sent."""
    if probe is None:
        return "(no probe: a message whose case no input filed)"
    step = {
        "token": " (then again with the 428's deflect_token)",
        "form": " (after opening the form's page)",
        "csrf": " (with a page's CSRF token)",
    }.get(probe.step or "", "")
    sent = probe.body if probe.body or not probe.fields else b"&".join(k + b"=" + v for k, v in probe.fields)
    more = f" +{len(sent) - limit} bytes" if len(sent) > limit else ""
    headers = f" headers {[(k[:40], v[:60]) for k, v in probe.headers]!r}" if probe.headers else ""
    return f"{probe.method} {probe.target[:limit]!r}{headers} body {sent[:limit]!r}{more}{step}"


def _statuses(tally) -> str:
    counts: Counter = Counter()
    for (_, status), n in tally.statuses.items():
        counts[status] += n
    ordered = sorted(counts.items(), key=lambda item: (item[0] is None, item[0] or 0))
    return ", ".join(f"{'none' if s is None else s}: {n:,}" for s, n in ordered)


def _doors(tally) -> list[str]:
    rows: dict[str, Counter] = defaultdict(Counter)
    for (door, status), n in tally.statuses.items():
        group = "none" if status is None else "429" if status == 429 else f"{status // 100}xx"
        rows[door][group] += n
    head = f"  {'door':<46} " + " ".join(f"{g:>6}" for g in ("2xx", "3xx", "4xx", "429", "5xx", "none"))
    return [head] + [
        f"  {door:<46} " + " ".join(f"{row[g]:>6,}" for g in ("2xx", "3xx", "4xx", "429", "5xx", "none"))
        for door, row in sorted(rows.items())
    ]


def lines(summary, replay: str) -> list[str]:
    """The whole printout; `replay` is the command that sends a reproducer file again (FILE for its path)."""
    tally = summary.tally
    rate_limited = sum(n for (_, status), n in tally.statuses.items() if status == 429)
    out = [
        f"deflect attack: {tally.inputs:,} hostile inputs (Hypothesis, seed {summary.seed}) against {summary.url} "
        f"in {summary.seconds:.0f} s",
        f"HTTP requests: {sum(tally.requests.values()):,} ({tally.requests['input']:,} carrying the inputs, "
        f"{tally.requests['setup']:,} pages opened first for their tokens)",
        f"answers by status: {_statuses(tally)}",
        f"rate-limited (429, the per-client limits): {rate_limited:,}",
        *_doors(tally),
    ]
    for kind, title in TITLES.items():
        if kind in ("header", "recipient", "mime") and not summary.mail_checked:
            continue
        out.append(f"{title}: {summary.count(kind):,}")
    if summary.mail_checked:
        failed = sum(summary.failed_outbox.values())
        out.append(
            f"requests filed: {len(tally.cases):,}; messages received: {summary.messages:,}; "
            f"held back as failed in the outbox: {failed:,}"
        )
        out += [f"  {n:,} x {reason}" for reason, n in summary.failed_outbox.most_common(5)]
    else:
        out.append("mail not inspected: --url given (only the server this script starts has its SMTP server)")
    return out + _details(summary, replay)


def _details(summary, replay: str) -> list[str]:
    out = []
    for kind, title in TITLES.items():
        found = [f for f in summary.tally.findings if f.kind == kind]
        if found:
            out.append(f"\n{title}, first {min(SHOWN, len(found))} of {len(found)}:")
        for finding in found[:SHOWN]:
            out += [f"  {finding.detail}", f"    sent: {describe(finding.probe)}"]
            if finding.file and finding.probe:
                out.append(f"    replay: {replay.replace('FILE', str(finding.file))}")
    return out

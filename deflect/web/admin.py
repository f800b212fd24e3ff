"""`/admin/`: the support team's dashboard, behind a login; a CSV of each table; new-article templates.

Every figure comes from `deflect.report.figures`, the module `deflect report` prints, so the
dashboard, the report and the CSV exports show the same numbers for the same period.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from mkdocs.exceptions import MkDocsException

from deflect.report import gaps
from deflect.report.figures import figures
from deflect.report.period import CHOICES, DEFAULT_DAYS, InvalidPeriod, Period
from deflect.report.tables import TABLES, as_csv, percent
from deflect.store.model import utcnow
from deflect.web import admin_auth, rate_limits
from deflect.web.resources import resources
from deflect.web.visits import ledger

bp = Blueprint("admin", __name__)
bp.before_request(admin_auth.guard)


def chosen_period() -> tuple[Period, str]:
    """The period the page asks for (`days`, or `since` and `until`), and a problem with it, if any."""
    today, args = utcnow().date(), request.args
    days = args.get("days", type=int)
    if args.get("since") or args.get("until"):
        try:
            return Period.parse(args.get("since"), args.get("until"), today), ""
        except InvalidPeriod as error:
            return Period.last_days(DEFAULT_DAYS, today), f"{error}. Showing the last {DEFAULT_DAYS} days."
    return Period.last_days(days if days in CHOICES else DEFAULT_DAYS, today), ""


def current_figures() -> tuple[dict, str]:
    """The figures of the chosen period, and a problem with the period, if any."""
    period, problem = chosen_period()
    by = request.args.get("by") if request.args.get("by") in ("day", "week") else None
    return figures(resources().store, period, ledger().window, utcnow(), by), problem


def period_args(found: dict) -> dict:
    """The query string that asks for the same period again (for the CSV and template links)."""
    period = found["period"]
    return {"since": period["since"], "until": period["until"], "by": period["bucket"]}


def site_config() -> dict:
    """The knowledge base's mkdocs.yml (repo_url, edit_uri), or nothing when it cannot be read."""
    try:
        return resources().kb.site_config()
    except (OSError, MkDocsException):
        return {}


@bp.get("/")
def dashboard():
    """The dashboard for the chosen period: rates, filed requests, articles, content gaps, delivery."""
    found, problem = current_figures()
    names = {form.id: form.name for form in resources().forms.forms}
    return render_template(
        "admin/dashboard.html",
        found=found,
        problem=problem,
        names=names,
        percent=percent,
        args=period_args(found),
        days=request.args.get("days", type=int),
        choices=CHOICES,
        admin=g.admin,
        has_repo=gaps.new_file_url(site_config(), "x", "") is not None,
    )


@bp.get("/export/<name>.csv")
def export(name: str):
    """One dashboard table as CSV, for the same period."""
    if name not in TABLES:
        abort(404)
    found, _ = current_figures()
    filename = f"deflect-{name}-{found['period']['since']}-{found['period']['until']}.csv"
    return Response(
        as_csv(found, name),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/gaps/<kind>/<int:number>.md")
def gap_template(kind: str, number: int):
    """A new article's Markdown for one group of content gaps, to download (or open on GitHub)."""
    found, _ = current_figures()
    groups = found["content_gaps"].get(kind)
    if groups is None or not 1 <= number <= len(groups):
        abort(404)
    group = groups[number - 1]
    text = gaps.article_template(group, utcnow().date())
    link = gaps.new_file_url(site_config(), group["slug"], text)
    if request.args.get("to") == "github" and link:
        return redirect(link, 303)
    headers = {"Content-Disposition": f'attachment; filename="{group["slug"]}.md"'}
    return Response(text, mimetype="text/markdown", headers=headers)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with an account made by `deflect admin add EMAIL`."""
    if request.method == "GET":
        return admin_auth.login_page()
    email, password = request.form.get("email", ""), request.form.get("password", "")
    if not admin_auth.log_in(email, password):
        return admin_auth.login_page(401, "That email and password do not match an account. Try again.", email)
    return redirect(admin_auth.next_target(request.form.get("next", "")), 303)


@bp.post("/logout")
def logout():
    """Log out: the session ends in the store and in the browser."""
    admin_auth.log_out()
    return redirect(url_for("admin.login"), 303)


@bp.errorhandler(RateLimitExceeded)
def too_many_logins(error: RateLimitExceeded):
    """Over a login limit: the login page, saying which limit and when to try again."""
    wait = rate_limits.retry_after()
    message = (
        f"Too many failed logins: we take at most {rate_limits.describe(error)}. "
        f"Try again in {rate_limits.seconds(wait)}."
    )
    page, _ = admin_auth.login_page(429, message, request.form.get("email", ""))
    return page, 429, {"Retry-After": str(wait)}

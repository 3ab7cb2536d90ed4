"""Template tags of the dashboards."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from dashboard.scorecards import grade
from kam.templatetags.kam_ui import status_badge, tier_badge
from risk.templatetags.risk_tags import risk_badge

register = template.Library()


@register.inclusion_tag("dashboard/_score.html")
def score(rate: float | None, part: int, whole: int) -> dict[str, Any]:
    """A scorecard figure: the rate graded against the target, and what it counts."""
    return {"rate": rate, "part": part, "whole": whole, "grade": grade(rate)}


_ACCOUNT_ROW = (
    '<tr><td><a href="{}">{}</a>{}</td><td class="code">{}</td><td>{}</td>'
    '<td class="amount">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
    '<td class="text-nowrap"><time datetime="{}">{}</time></td></tr>'
)


@register.simple_tag
def account_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The account list's rows (dashboard.book._list_rows), written in Python: 25 rows of ten
    cells through the template engine cost the page more than its queries."""
    none = mark_safe('<span class="text-secondary">—</span>')  # noqa: S308
    return format_html_join(
        "",
        _ACCOUNT_ROW,
        (
            (
                row["url"],
                row["name"],
                format_html('<div class="small text-secondary">{}</div>', row["name_zh"])
                if row["name_zh"]
                else "",
                row["uscc"] or "—",
                tier_badge(row["tier"], row["tier_label"]),
                row["score"] or none,
                risk_badge(row["risk_level"]),
                status_badge(row["status"], row["status_label"]),
                row["industry"],
                row["region"],
                row["owner"],
                row["updated_iso"],
                row["updated"],
            )
            for row in rows
        ),
    )

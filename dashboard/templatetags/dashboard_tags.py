"""Template tags of the dashboards."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dashboard.scorecards import grade
from kam.templatetags.kam_ui import status_badge, tier_badge
from risk.templatetags.risk_tags import risk_badge

register = template.Library()


@register.inclusion_tag("dashboard/_score.html")
def score(rate: float | None, part: int, whole: int) -> dict[str, Any]:
    """A scorecard figure: the rate graded against the target, and what it counts."""
    return {"rate": rate, "part": part, "whole": whole, "grade": grade(rate)}


@register.simple_tag
def account_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The account list's rows (dashboard.book._list_rows), written in Python: 25 rows of ten
    cells through the template engine cost the page more than its queries. Each badge is drawn
    once per page and every free text is escaped here."""
    badges: dict[tuple[Any, ...], str] = {}

    def badge(draw: Any, *args: Any) -> str:
        key = (draw, *args)
        if key not in badges:
            badges[key] = str(draw(*args))
        return badges[key]

    html = []
    for row in rows:
        name_zh = row["name_zh"]
        second = f'<div class="small text-secondary">{escape(name_zh)}</div>' if name_zh else ""
        html.append(
            f'<tr><td><a href="{escape(row["url"])}">{escape(row["name"])}</a>{second}</td>'
            f'<td class="code">{escape(row["uscc"] or "—")}</td>'
            f"<td>{badge(tier_badge, row['tier'], row['tier_label'])}</td>"
            f'<td class="amount">{escape(row["score"]) if row["score"] else _NONE}</td>'
            f"<td>{badge(risk_badge, row['risk_level'])}</td>"
            f"<td>{badge(status_badge, row['status'], row['status_label'])}</td>"
            f"<td>{escape(row['industry'])}</td><td>{escape(row['region'])}</td>"
            f"<td>{escape(row['owner'])}</td>"
            f'<td class="text-nowrap"><time datetime="{escape(row["updated_iso"])}">'
            f"{escape(row['updated'])}</time></td></tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


_NONE = '<span class="text-secondary">—</span>'

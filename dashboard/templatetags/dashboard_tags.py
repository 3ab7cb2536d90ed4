"""Template tags of the dashboards."""

from __future__ import annotations

from typing import Any

from django import template

from dashboard.scorecards import grade

register = template.Library()


@register.inclusion_tag("dashboard/_score.html")
def score(rate: float | None, part: int, whole: int) -> dict[str, Any]:
    """A scorecard figure: the rate graded against the target, and what it counts."""
    return {"rate": rate, "part": part, "whole": whole, "grade": grade(rate)}

"""Covenant rules: a figure past its threshold, and headroom shrinking towards it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import CovenantDirection
from ..models import CovenantMetric, CovenantTest, headroom_pct
from .registry import DecimalParam, Evidence, IntParam, MultiChoiceParam, RuleType, register


def _metric_choices() -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in CovenantMetric.objects.order_by("position", "code")]


METRICS = MultiChoiceParam(
    "metrics",
    gettext_lazy("metrics"),
    gettext_lazy("Codes of the covenant metrics to check; empty checks all."),
    choices=_metric_choices,
)
MAX_AGE = IntParam(
    "max_age_days",
    gettext_lazy("latest figure at most this old (days)"),
    gettext_lazy("Figures for periods that ended longer ago than this are ignored."),
    default=550,
    minimum=30,
    maximum=1830,
)


def _latest_tests(
    rule: RuleType, account_ids: Sequence[int], *, per_covenant: int
) -> QuerySet[CovenantTest, dict[str, Any]]:
    """The newest ``per_covenant`` figures of each (project, metric) of these accounts:
    one query with a window function, whatever the number of accounts."""
    qs = CovenantTest.objects.filter(project__account_id__in=account_ids)
    if rule.p["metrics"]:
        qs = qs.filter(metric__code__in=rule.p["metrics"])
    return (
        qs.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("project_id"), F("metric_id")],
                order_by=F("period_end").desc(),
            )
        )
        .filter(rank__lte=per_covenant)
        .values(
            "project__account_id",
            "project_id",
            "project__name",
            "metric__code",
            "metric__name",
            "metric__unit",
            "period_end",
            "value",
            "threshold",
            "direction",
            "rank",
        )
        .order_by()
    )


def _figure(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "project_id": row["project_id"],
        "project": row["project__name"],
        "metric": row["metric__code"],
        "metric_name": row["metric__name"],
        "unit": row["metric__unit"],
        "period_end": row["period_end"].isoformat(),
        "value": str(row["value"].normalize()),
        "threshold": str(row["threshold"].normalize()),
        "direction": row["direction"],
        "headroom_pct": str(
            headroom_pct(value=row["value"], threshold=row["threshold"], direction=row["direction"])
        ),
    }


def _breached(row: Mapping[str, Any]) -> bool:
    if row["direction"] == CovenantDirection.MINIMUM:
        return bool(row["value"] < row["threshold"])
    return bool(row["value"] > row["threshold"])


def _describe(figure: Mapping[str, Any]) -> str:
    sign = "≥" if figure["direction"] == CovenantDirection.MINIMUM else "≤"
    return _(
        "%(project)s: %(metric)s %(value)s%(unit)s against %(sign)s %(threshold)s%(unit)s (%(period)s)"
    ) % {
        "project": figure["project"],
        "metric": figure["metric_name"],
        "value": figure["value"],
        "threshold": figure["threshold"],
        "unit": figure.get("unit", ""),
        "sign": sign,
        "period": figure["period_end"],
    }


@register
class CovenantBreach(RuleType):
    code = "covenant_breach"
    label = gettext_lazy("Covenant breach")
    description = gettext_lazy(
        "The latest reported figure of a project's covenant is past its threshold "
        "(e.g. DSCR below the minimum in the loan agreement)."
    )
    params = (METRICS, MAX_AGE)

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        cutoff = self.today - timedelta(days=self.p["max_age_days"])
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in _latest_tests(self, account_ids, per_covenant=1):
            if row["period_end"] >= cutoff and _breached(row):
                found[row["project__account_id"]].append(_figure(row))
        return {
            account_id: {"breaches": sorted(figures, key=lambda f: (f["project"], f["metric"]))}
            for account_id, figures in found.items()
        }

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        return "; ".join(_describe(f) for f in evidence.get("breaches", []))


@register
class CovenantHeadroom(RuleType):
    code = "covenant_headroom"
    label = gettext_lazy("Covenant headroom shrinking")
    description = gettext_lazy(
        "A covenant is not breached yet, but its headroom is below a margin and has shrunk "
        "period after period."
    )
    params = (
        DecimalParam(
            "headroom_pct",
            gettext_lazy("headroom below (% of threshold)"),
            gettext_lazy("Warn when the latest figure is within this margin of its threshold."),
            default="10",
            minimum=Decimal("0.1"),
            maximum=Decimal("100"),
        ),
        IntParam(
            "declining_periods",
            gettext_lazy("shrinking for (periods)"),
            gettext_lazy("...and the headroom has shrunk in each of this many latest periods."),
            default=2,
            minimum=1,
            maximum=8,
        ),
        METRICS,
        MAX_AGE,
    )

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        periods = self.p["declining_periods"]
        margin = Decimal(self.p["headroom_pct"])
        cutoff = self.today - timedelta(days=self.p["max_age_days"])
        series: dict[tuple[int, int, str], list[Mapping[str, Any]]] = defaultdict(list)
        for row in _latest_tests(self, account_ids, per_covenant=periods + 1):
            series[(row["project__account_id"], row["project_id"], row["metric__code"])].append(row)
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for (account_id, _project, _metric), rows in series.items():
            rows.sort(key=lambda r: r["rank"])
            if len(rows) < periods + 1 or rows[0]["period_end"] < cutoff or _breached(rows[0]):
                continue
            figures = [_figure(r) for r in rows]
            headrooms = [Decimal(f["headroom_pct"]) for f in figures]
            shrinking = all(headrooms[i] < headrooms[i + 1] for i in range(periods))
            if headrooms[0] < margin and shrinking:
                latest = figures[0]
                latest["previous_headroom_pct"] = [f["headroom_pct"] for f in figures[1:]]
                found[account_id].append(latest)
        return {
            account_id: {"covenants": sorted(figures, key=lambda f: (f["project"], f["metric"]))}
            for account_id, figures in found.items()
        }

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        parts = []
        for f in evidence.get("covenants", []):
            trend = " → ".join([*reversed(f.get("previous_headroom_pct", [])), f["headroom_pct"]])
            parts.append(
                _("%(figure)s; headroom %(trend)s%%") % {"figure": _describe(f), "trend": trend}
            )
        return "; ".join(parts)

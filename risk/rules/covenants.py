"""Covenant rules: a figure past its threshold, and headroom shrinking towards it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Project

from ..choices import CovenantDirection
from ..models import CovenantMetric, CovenantTest, headroom_pct
from .registry import (
    DecimalParam,
    Evidence,
    IntParam,
    MultiChoiceParam,
    RuleType,
    accounts_q,
    register,
)


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
) -> list[dict[str, Any]]:
    """The newest ``per_covenant`` figures of each (project, metric) of these accounts: one
    query with a window function over the (account, project, metric, period) index, whatever
    the number of accounts. Narrow rows; ``_name`` adds names to the few that are reported."""
    qs = CovenantTest.objects.filter(accounts_q("account_id", account_ids))
    if rule.p["metrics"]:
        qs = qs.filter(metric__code__in=rule.p["metrics"])
    return list(
        qs.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("project_id"), F("metric_id")],
                order_by=F("period_end").desc(),
            )
        )
        .filter(rank__lte=per_covenant)
        .values(
            "account_id",
            "project_id",
            "metric_id",
            "period_end",
            "value",
            "threshold",
            "direction",
            "rank",
        )
        .order_by()
    )


def _name(found: dict[int, list[dict[str, Any]]]) -> None:
    """Project and metric names for the reported figures (two small queries, only when some)."""
    figures = [f for items in found.values() for f in items]
    if not figures:
        return
    projects = dict(
        Project.objects.filter(pk__in={f["project_id"] for f in figures}).values_list("pk", "name")
    )
    metrics = {
        m.pk: m for m in CovenantMetric.objects.filter(pk__in={f["metric_id"] for f in figures})
    }
    for f in figures:
        metric = metrics[f.pop("metric_id")]
        f.update(
            project=projects.get(f["project_id"], ""),
            metric=metric.code,
            metric_name=metric.name,
            unit=metric.unit,
        )


def _figure(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "project_id": row["project_id"],
        "metric_id": row["metric_id"],
        "period_end": row["period_end"].isoformat(),
        "value": str(row["value"].normalize()),
        "threshold": str(row["threshold"].normalize()),
        "direction": row["direction"],
        "headroom_pct": str(_headroom(row)),
    }


def _headroom(row: Mapping[str, Any]) -> Decimal:
    return headroom_pct(value=row["value"], threshold=row["threshold"], direction=row["direction"])


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
                found[row["account_id"]].append(_figure(row))
        _name(found)
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
        series: dict[tuple[int, int], list[Mapping[str, Any]]] = defaultdict(list)
        for row in _latest_tests(self, account_ids, per_covenant=periods + 1):
            series[(row["project_id"], row["metric_id"])].append(row)
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for rows in series.values():
            if len(rows) < periods + 1:
                continue
            rows.sort(key=lambda r: r["rank"])
            latest = rows[0]
            # Cheap tests first: most covenants are far from their threshold.
            if latest["period_end"] < cutoff or _breached(latest) or _headroom(latest) >= margin:
                continue
            headrooms = [_headroom(r) for r in rows]
            if all(headrooms[i] < headrooms[i + 1] for i in range(periods)):
                figure = _figure(latest)
                figure["previous_headroom_pct"] = [str(h) for h in headrooms[1:]]
                found[latest["account_id"]].append(figure)
        _name(found)
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

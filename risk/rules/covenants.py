"""Covenant rules: a figure past its lock-up or event-of-default level, and headroom shrinking
towards the first level. A breach that an approved cure or waiver covers raises nothing (one
naming the figure, or a covenant-wide one whose periods include the figure's period: judged
by the figure's period, not by the scan date); an approved amendment's levels are already on
the figures it applies to (see covenant_waiver_decide). A pending one relieves nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Project

from ..choices import RELIEF_KINDS, CovenantLevelKind, WaiverStatus
from ..models import CovenantMetric, CovenantTest, CovenantWaiver, headroom_pct, is_past
from .registry import (
    ChoiceParam,
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
            "pk",
            "account_id",
            "project_id",
            "metric_id",
            "period_end",
            "value",
            "threshold",
            "lock_up_threshold",
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


def _first_threshold(row: Mapping[str, Any]) -> Decimal:
    """The level a figure meets first: lock-up when the covenant has one."""
    return row["lock_up_threshold"] or row["threshold"]


def _figure(row: Mapping[str, Any], level: str = "") -> dict[str, Any]:
    """The evidence of one figure; ``threshold`` is that of the level passed (``level``), or
    of the first level when none is."""
    threshold = (
        row["threshold"] if level == CovenantLevelKind.EVENT_OF_DEFAULT else _first_threshold(row)
    )
    figure = {
        "test_id": row["pk"],
        "project_id": row["project_id"],
        "metric_id": row["metric_id"],
        "period_end": row["period_end"].isoformat(),
        "value": str(row["value"].normalize()),
        "threshold": str(threshold.normalize()),
        "default_threshold": str(row["threshold"].normalize()),
        "lock_up_threshold": (
            str(row["lock_up_threshold"].normalize()) if row["lock_up_threshold"] else None
        ),
        "direction": row["direction"],
        "headroom_pct": str(
            headroom_pct(value=row["value"], threshold=threshold, direction=row["direction"])
        ),
    }
    if level:
        figure["level"] = level
    return figure


def _headroom(row: Mapping[str, Any]) -> Decimal:
    return headroom_pct(
        value=row["value"], threshold=_first_threshold(row), direction=row["direction"]
    )


def _level_passed(row: Mapping[str, Any]) -> str:
    """The worst level the figure is past: event of default, lock-up, or ""."""
    if is_past(value=row["value"], threshold=row["threshold"], direction=row["direction"]):
        return CovenantLevelKind.EVENT_OF_DEFAULT
    if is_past(value=row["value"], threshold=row["lock_up_threshold"], direction=row["direction"]):
        return CovenantLevelKind.LOCK_UP
    return ""


def _relieved(rule: RuleType, rows: Sequence[Mapping[str, Any]]) -> set[int]:
    """The ids of the figures among ``rows`` that an approved cure or waiver covers: one that
    names the figure, or one of its covenant whose periods (``valid_from`` to ``valid_until``)
    include the figure's period end. One query, only when there are breaches to check."""
    if not rows:
        return set()
    by_test: set[int] = set()
    wide: dict[tuple[int, int], list[tuple[date | None, date]]] = defaultdict(list)
    for test_id, project_id, metric_id, valid_from, valid_until in (
        CovenantWaiver.objects.filter(kind__in=RELIEF_KINDS, status=WaiverStatus.APPROVED)
        .filter(
            Q(test_id__in=[r["pk"] for r in rows])
            | Q(
                test__isnull=True,
                valid_until__isnull=False,
                covenant__project_id__in={r["project_id"] for r in rows},
            )
        )
        .values_list(
            "test_id", "covenant__project_id", "covenant__metric_id", "valid_from", "valid_until"
        )
    ):
        if test_id is not None:
            by_test.add(test_id)
        else:
            wide[(project_id, metric_id)].append((valid_from, valid_until))
    return {
        r["pk"]
        for r in rows
        if r["pk"] in by_test
        or any(
            (start is None or r["period_end"] >= start) and r["period_end"] <= end
            for start, end in wide.get((r["project_id"], r["metric_id"]), ())
        )
    }


def _describe(figure: Mapping[str, Any]) -> str:
    sign = "≥" if figure["direction"] == "min" else "≤"
    text = _(
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
    level = figure.get("level")
    if level in CovenantLevelKind.values:
        text = f"{text} — {CovenantLevelKind(level).label}"
    return text


LEVEL = ChoiceParam(
    "level",
    gettext_lazy("level"),
    gettext_lazy(
        "Which level's breach this rule reports: lock-up (past the lock-up level but not the "
        "default level) or event of default. Give the two rules different severities."
    ),
    default=CovenantLevelKind.EVENT_OF_DEFAULT.value,
    choices=lambda: CovenantLevelKind.choices,
)


@register
class CovenantBreach(RuleType):
    code = "covenant_breach"
    label = gettext_lazy("Covenant breach")
    description = gettext_lazy(
        "The latest reported figure of a project's covenant is past its lock-up or its "
        "event-of-default level (e.g. DSCR below the minimum in the loan agreement), and no "
        "approved cure or waiver covers it."
    )
    params = (LEVEL, METRICS, MAX_AGE)

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        cutoff = self.today - timedelta(days=self.p["max_age_days"])
        level = self.p["level"]
        breaches = [
            row
            for row in _latest_tests(self, account_ids, per_covenant=1)
            if row["period_end"] >= cutoff and _level_passed(row) == level
        ]
        relieved = _relieved(self, breaches)
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in breaches:
            if row["pk"] not in relieved:
                found[row["account_id"]].append(_figure(row, level))
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
        "A covenant is not past its first level yet (lock-up, or the default level when it "
        "has no lock-up), but its headroom to it is below a margin and has shrunk period "
        "after period."
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
            if (
                latest["period_end"] < cutoff
                or _level_passed(latest)
                or _headroom(latest) >= margin
            ):
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

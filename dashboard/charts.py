"""What static/js/dashboard.js draws: one entry per canvas (``data-chart``), passed to the page
with ``json_script``. Each entry carries the links of its bars and slices, so a click on a
chart opens the same list as the number in the table under it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .selectors import Dashboard

MILLION = Decimal(1_000_000)


def _millions(amount: Decimal) -> float:
    return float((amount / MILLION).quantize(Decimal("0.1")))


def _exposure_chart(rows: list[Any], *, horizontal: bool = False) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": horizontal,
        "money": True,
        "labels": [r.label for r in rows],
        "keys": [r.key for r in rows],
        "datasets": [
            {
                "label": _("Exposure (CNY million)"),
                "data": [_millions(r.exposure_cny) for r in rows],
                "palette": "tier" if not horizontal else "",
            }
        ],
        "links": [r.url for r in rows],
    }


def chart_data(d: Dashboard) -> dict[str, Any]:
    exposure = d.exposure
    coverage = d.coverage
    trends = d.trends
    return {
        "tiers": {
            "type": "doughnut",
            "labels": [r.label for r in d.by_tier],
            "keys": [r.key for r in d.by_tier],
            "datasets": [
                {"label": _("Accounts"), "data": [r.count for r in d.by_tier], "palette": "tier"}
            ],
            "links": [r.url for r in d.by_tier],
        },
        "exposureTier": _exposure_chart(exposure.by_tier),
        "exposureSector": _exposure_chart(exposure.by_sector, horizontal=True),
        "exposureRegion": _exposure_chart(exposure.by_region, horizontal=True),
        "green": {
            "type": "doughnut",
            "labels": [_("Green finance"), _("Other")],
            "keys": ["green", "other"],
            "datasets": [
                {
                    "label": _("Exposure (CNY million)"),
                    "data": [
                        _millions(exposure.green_cny),
                        _millions(exposure.total_cny - exposure.green_cny),
                    ],
                    "palette": "green",
                }
            ],
            "links": [exposure.green_url, exposure.other_url],
        },
        "equator": {
            "type": "doughnut",
            "labels": [r.label for r in exposure.by_equator],
            "keys": [r.key or "none" for r in exposure.by_equator],
            "datasets": [
                {
                    "label": _("Exposure (CNY million)"),
                    "data": [_millions(r.exposure_cny) for r in exposure.by_equator],
                    "palette": "equator",
                }
            ],
            "links": [r.url for r in exposure.by_equator],
        },
        "coverage": {
            "type": "doughnut",
            "labels": [r.label for r in coverage.rows],
            "keys": [r.key for r in coverage.rows],
            "datasets": [
                {
                    "label": _("Accounts"),
                    "data": [r.count for r in coverage.rows],
                    "palette": "coverage",
                }
            ],
            "links": [r.url for r in coverage.rows],
        },
        "sla": {
            "type": "bar",
            "percent": True,
            "labels": [str(q.quarter) for q in reversed(d.sla)],
            "datasets": [
                {
                    "label": _("First response in time (%)"),
                    "data": [q.response_rate for q in reversed(d.sla)],
                    "colour": "#0b5ed7",
                },
                {
                    "label": _("Resolved in time (%)"),
                    "data": [q.resolution_rate for q in reversed(d.sla)],
                    "colour": "#198754",
                },
            ],
            "links": [
                [q.response_missed.url for q in reversed(d.sla)],
                [q.resolution_missed.url for q in reversed(d.sla)],
            ],
        },
        "alerts": {
            "type": "bar",
            "stacked": True,
            "labels": [label for _value, label in d.alerts.ages],
            "datasets": [
                {
                    "label": row.label,
                    "data": [c.count for c in row.by_age],
                    "key": str(row.severity),
                    "palette": "severity",
                }
                for row in d.alerts.rows
            ],
            "links": [[c.url for c in row.by_age] for row in d.alerts.rows],
        },
        "risk": {
            "type": "doughnut",
            "labels": [r.label for r in d.risk],
            "keys": [r.key for r in d.risk],
            "datasets": [
                {"label": _("Accounts"), "data": [r.count for r in d.risk], "palette": "risk"}
            ],
            "links": [r.url for r in d.risk],
        },
        "cadence": {
            "type": "doughnut",
            "labels": [d.cadence.kept.label, d.cadence.overdue.label],
            "keys": ["kept", "overdue"],
            "datasets": [
                {
                    "label": _("Accounts"),
                    "data": [d.cadence.kept.count, d.cadence.overdue.count],
                    "palette": "cadence",
                }
            ],
            "links": [d.cadence.kept.url, d.cadence.overdue.url],
        },
        "trendStandards": {
            "type": "line",
            "percent": True,
            "labels": [str(p.quarter) for p in trends],
            "datasets": [
                {
                    "label": _("Review coverage (%)"),
                    "data": [p.figures.review_rate if p.figures else None for p in trends],
                    "colour": "#7a2e8e",
                },
                {
                    "label": _("First response in time (%)"),
                    "data": [p.figures.response_rate if p.figures else None for p in trends],
                    "colour": "#0b5ed7",
                },
                {
                    "label": _("Resolved in time (%)"),
                    "data": [p.figures.resolution_rate if p.figures else None for p in trends],
                    "colour": "#198754",
                },
                {
                    "label": _("Cadence kept (%)"),
                    "data": [p.figures.cadence_rate if p.figures else None for p in trends],
                    "colour": "#fd7e14",
                },
            ],
            "links": [
                [p.reviews_url for p in trends],
                [p.requests_url for p in trends],
                [p.requests_url for p in trends],
                [None for p in trends],
            ],
        },
        "trendExposure": {
            "type": "bar",
            "money": True,
            "labels": [str(p.quarter) for p in trends],
            "datasets": [
                {
                    "label": _("Exposure (CNY million)"),
                    "data": [_millions(p.figures.exposure) if p.figures else None for p in trends],
                    "colour": "#0f766e",
                },
                {
                    "label": _("Drawn (CNY million)"),
                    "data": [_millions(p.figures.drawn) if p.figures else None for p in trends],
                    "colour": "#64748b",
                },
                {
                    "label": _("Green exposure (CNY million)"),
                    "data": [_millions(p.figures.green) if p.figures else None for p in trends],
                    "colour": "#20c997",
                },
            ],
        },
        "loanClasses": {
            "type": "bar",
            "horizontal": True,
            "money": True,
            "labels": [r.label for r in exposure.by_class],
            "keys": [str(r.key) for r in exposure.by_class],
            "datasets": [
                {
                    "label": _("Exposure (CNY million)"),
                    "data": [_millions(r.exposure_cny) for r in exposure.by_class],
                    "palette": "loanClass",
                }
            ],
            "links": [r.url for r in exposure.by_class],
        },
    }

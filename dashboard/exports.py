"""Every dashboard and scorecard table as rows for kam.exports (CSV or Excel): each builder
computes only its own figure, for the same scope — the user's accounts, sliced by the
dashboard's filters — so an export says what the page says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import scorecards as cards
from . import selectors
from .scope import Scope

Rows = tuple[list[Any], list[list[Any]]]


def _rate(value: float | None) -> Any:
    return "" if value is None else value


def _tiers(scope: Scope) -> Rows:
    rows = selectors.accounts_by_tier(scope)
    return [_("Tier"), _("Accounts")], [[r.label, r.count] for r in rows]


def _exposure(attribute: str, first: Any) -> Callable[[Scope], Rows]:
    def build(scope: Scope) -> Rows:
        figure = selectors.exposure(scope)
        headers = [
            first,
            _("Obligors"),
            _("Projects"),
            _("Facilities"),
            _("Exposure (CNY)"),
            _("Drawn (CNY)"),
            _("Share (%)"),
            _("Green exposure (CNY)"),
            _("Green share (%)"),
        ]
        rows = [
            [
                r.label,
                "" if r.is_unattributed else r.accounts,
                r.projects,
                r.facilities,
                r.exposure_cny,
                r.drawn_cny,
                _rate(r.share),
                r.green_cny,
                _rate(r.green_share),
            ]
            for r in getattr(figure, attribute)
        ]
        return headers, rows

    return build


def _green(scope: Scope) -> Rows:
    figure = selectors.exposure(scope)
    return [_("Exposure"), _("Amount (CNY)"), _("Share (%)"), _("Accounts")], [
        [_("Green finance"), figure.green_cny, _rate(figure.green_share), figure.green_accounts],
        [
            _("Other"),
            figure.total_cny - figure.green_cny,
            _rate(None if figure.green_share is None else round(100 - figure.green_share, 1)),
            figure.other_accounts,
        ],
        [_("Total"), figure.total_cny, 100 if figure.total_cny else "", figure.accounts],
    ]


def _loan_classes(scope: Scope) -> Rows:
    figure = selectors.exposure(scope)
    headers = [
        _("Loan classification"),
        _("Obligors"),
        _("Facilities"),
        _("Exposure (CNY)"),
        _("Drawn (CNY)"),
        _("Share (%)"),
    ]
    rows: list[list[Any]] = [
        [r.label, r.accounts, r.facilities, r.exposure_cny, r.drawn_cny, _rate(r.share)]
        for r in figure.by_class
    ]
    rows.append(
        [
            _("Non-performing (substandard, doubtful, loss)"),
            "",
            "",
            figure.non_performing_cny,
            "",
            _rate(figure.non_performing_share),
        ]
    )
    return headers, rows


def _reviews(scope: Scope) -> Rows:
    figure = selectors.review_coverage(scope)
    rows = [[r.label, r.count] for r in [figure.required, *figure.rows]]
    rows.append([_("Coverage (%)"), _rate(figure.rate)])
    return [_("Quarter %(quarter)s") % {"quarter": figure.quarter}, _("Accounts")], rows


def _sla(scope: Scope) -> Rows:
    headers = [
        _("Quarter"),
        _("Requests opened"),
        _("First response in time"),
        _("First response late"),
        _("First response attainment (%)"),
        _("Resolved in time"),
        _("Resolved late"),
        _("Resolution attainment (%)"),
    ]
    rows = [
        [
            str(q.quarter),
            q.total.count,
            q.response_met.count,
            q.response_missed.count,
            _rate(q.response_rate),
            q.resolution_met.count,
            q.resolution_missed.count,
            _rate(q.resolution_rate),
        ]
        for q in selectors.sla_attainment(scope)
    ]
    return headers, rows


def _alerts(scope: Scope) -> Rows:
    figure = selectors.open_alerts(scope)
    headers = [
        _("Severity"),
        *[label for _value, label in figure.ages],
        _("Past the acknowledgement deadline"),
        _("Active alerts"),
    ]
    rows = [
        [r.label, *[c.count for c in r.by_age], r.overdue.count, r.total.count] for r in figure.rows
    ]
    rows.append(
        [
            _("Total"),
            *[c.count for c in figure.by_age_total],
            figure.overdue.count,
            figure.total.count,
        ]
    )
    return headers, rows


def _risk_levels(scope: Scope) -> Rows:
    return [_("Risk level"), _("Accounts")], [
        [r.label, r.count]
        for r in selectors.risk_levels(
            scope, accounts=sum(r.count for r in selectors.accounts_by_tier(scope))
        )
    ]


def _top_risk(scope: Scope) -> Rows:
    from risk.selectors import risk_level_label

    headers = [
        _("Account"),
        _("Tier"),
        _("Owner RM"),
        _("Team"),
        _("Risk level"),
        _("Active alerts"),
        _("Oldest active alert"),
    ]
    rows = [
        [
            r.account.display_name,
            r.account.get_tier_display(),
            r.account.owner.username,
            r.account.team.name if r.account.team else "",
            risk_level_label(r.level),
            r.alerts,
            r.oldest,
        ]
        for r in selectors.top_at_risk(scope)
    ]
    return headers, rows


def _cadence(scope: Scope) -> Rows:
    figure = selectors.cadence(scope)
    return [_("Contact cadence"), _("Accounts")], [
        [figure.kept.label, figure.kept.count],
        [figure.overdue.label, figure.overdue.count],
        [_("Kept (%)"), _rate(figure.rate)],
    ]


def _trends(scope: Scope) -> Rows:
    headers = [
        _("Quarter"),
        _("Accounts"),
        _("Exposure (CNY)"),
        _("Drawn (CNY)"),
        _("Green share (%)"),
        _("Review coverage (%)"),
        _("First response attainment (%)"),
        _("Resolution attainment (%)"),
        _("Cadence kept (%)"),
        _("Alerts raised"),
        _("Alerts active at the end"),
    ]
    rows: list[list[Any]] = []
    for point in selectors.trends(scope):
        f = point.figures
        if f is None:
            rows.append([str(point.quarter)] + [""] * (len(headers) - 1))
            continue
        rows.append(
            [
                str(point.quarter),
                f.accounts,
                f.exposure,
                f.drawn,
                _rate(f.green_share),
                _rate(f.review_rate),
                _rate(f.response_rate),
                _rate(f.resolution_rate),
                _rate(f.cadence_rate),
                f.alerts_raised,
                f.alerts_active_end,
            ]
        )
    return headers, rows


def _scorecard(attribute: str, first: Any) -> Callable[[Scope], Rows]:
    def build(scope: Scope) -> Rows:
        data = cards.scorecards(scope)
        headers = [
            first,
            _("Accounts"),
            _("Cadence kept (%)"),
            _("SLA attained (%)"),
            _("Reviews held (%)"),
            _("Alerts acknowledged in time (%)"),
            _("Plan actions on time (%)"),
        ]
        rows = [
            [
                r.label,
                r.figures.accounts,
                _rate(r.figures.cadence_rate),
                _rate(r.figures.sla_rate),
                _rate(r.figures.review_rate),
                _rate(r.figures.ack_rate),
                _rate(r.figures.actions_rate),
            ]
            for r in getattr(data, attribute)
        ]
        return headers, rows

    return build


@dataclass(frozen=True)
class Table:
    title: Any
    build: Callable[[Scope], Rows]


TABLES: dict[str, Table] = {
    "tiers": Table(gettext_lazy("Key accounts by tier"), _tiers),
    "exposure_tier": Table(
        gettext_lazy("Exposure by tier"), _exposure("by_tier", gettext_lazy("Tier"))
    ),
    "exposure_sector": Table(
        gettext_lazy("Exposure by project sector"),
        _exposure("by_sector", gettext_lazy("Sector")),
    ),
    "exposure_region": Table(
        gettext_lazy("Exposure by project region"),
        _exposure("by_region", gettext_lazy("Region")),
    ),
    "equator": Table(
        gettext_lazy("Equator Principles category mix"),
        _exposure("by_equator", gettext_lazy("Category")),
    ),
    "green": Table(gettext_lazy("Green-finance share"), _green),
    "loan_classes": Table(gettext_lazy("Five-category loan classification"), _loan_classes),
    "reviews": Table(gettext_lazy("Quarterly review coverage"), _reviews),
    "sla": Table(gettext_lazy("SLA attainment"), _sla),
    "alerts": Table(gettext_lazy("Open alerts by severity and age"), _alerts),
    "risk_levels": Table(gettext_lazy("Accounts by risk level"), _risk_levels),
    "top_risk": Table(gettext_lazy("Top accounts at risk"), _top_risk),
    "cadence": Table(gettext_lazy("Interaction cadence kept"), _cadence),
    "trends": Table(gettext_lazy("Trends over eight quarters"), _trends),
    "scorecard_rm": Table(
        gettext_lazy("Scorecards by relationship manager"),
        _scorecard("by_rm", gettext_lazy("Relationship manager")),
    ),
    "scorecard_team": Table(
        gettext_lazy("Scorecards by team"), _scorecard("by_team", gettext_lazy("Team"))
    ),
}

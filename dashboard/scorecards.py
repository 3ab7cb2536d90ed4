"""Supervision scorecards (制度执行): per RM and per team, how the standard was kept in a
quarter — read from the quarterly snapshots of the accounts the reader may see.

Who sees which rows: executives, risk officers, compliance and administrators every team;
a team lead the accounts they may see (their team); an RM their own row only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dashboard.models import AccountQuarterSnapshot
from kam.models import User
from kam.roles import Role

from .scope import Scope
from .selectors import Standards, link, snapshot_aggregates

# The bar a figure is held to: at or above TARGET is kept, below WARNING is a breach.
TARGET = 90.0
WARNING = 75.0

DEFINITIONS: tuple[tuple[Any, Any], ...] = (
    (
        _("Cadence kept"),
        _(
            "Accounts (not exited, of a tier with a contact cadence) whose last meaningful "
            "interaction at the end of the quarter — or now, in the current quarter — was no "
            "older than the tier's cadence, out of all such accounts."
        ),
    ),
    (
        _("SLA attained"),
        _(
            "Of the service requests opened in the quarter on the RM's accounts, the first "
            "response and resolution clocks that met their target, out of all clocks with an "
            "outcome (met, or missed; a clock still running in time is not counted). Business "
            "time on mainland China's working calendar, as in the service report."
        ),
    ),
    (
        _("Reviews held"),
        _(
            "Accounts whose tier requires a quarterly strategic review and that held one in "
            "the quarter with at least one executive attending, out of all accounts requiring "
            "one (exited accounts excepted)."
        ),
    ),
    (
        _("Alerts acknowledged in time"),
        _(
            "Risk alerts whose acknowledgement deadline fell in the quarter (and has passed) "
            "that were acknowledged — or closed — by the deadline, out of all of them."
        ),
    ),
    (
        _("Plan actions on time"),
        _(
            "Account plan actions due in the quarter that were done by their due date, out of "
            "those done or overdue (cancelled actions and actions not yet due are not counted)."
        ),
    ),
)


def scorecard_scope(user: User) -> str:
    if user.is_portal_admin or user.reads_all_accounts:
        return "all"
    if user.has_role(Role.TEAM_LEAD):
        return "team"
    return "own"


def _snapshots(scope: Scope) -> QuerySet[AccountQuarterSnapshot]:
    quarter = scope.quarter
    rows = scope.related(
        AccountQuarterSnapshot.objects.filter(year=quarter.year, quarter=quarter.quarter)
    )
    if scorecard_scope(scope.user) == "own":
        rows = rows.filter(owner=scope.user)
    return rows.order_by()


@dataclass
class ScorecardRow:
    key: int | None
    label: str
    figures: Standards
    accounts_url: str


@dataclass
class Scorecards:
    scope: Scope
    by_rm: list[ScorecardRow]
    by_team: list[ScorecardRow]
    total: Standards
    reach: str


def _name(first: str | None, last: str | None, username: str | None) -> str:
    full = f"{first or ''} {last or ''}".strip()
    if not username:
        return str(_("No owner"))
    return f"{full} ({username})" if full else username


def scorecards(scope: Scope) -> Scorecards:
    """Per RM (the account's owner in the quarter) and per team: three grouped queries."""
    rows = _snapshots(scope)
    aggregates = snapshot_aggregates()
    base = scope.account_params()
    by_rm = [
        ScorecardRow(
            key=v["owner"],
            label=_name(v["owner__first_name"], v["owner__last_name"], v["owner__username"]),
            figures=Standards.of(v),
            accounts_url=link("accounts:list", {**base, "owner": v["owner"]}),
        )
        for v in rows.values(
            "owner", "owner__username", "owner__first_name", "owner__last_name"
        ).annotate(**aggregates)
    ]
    by_rm.sort(key=lambda r: r.label.lower())
    by_team = [
        ScorecardRow(
            key=v["team"],
            label=v["team__name"] or str(_("No team")),
            figures=Standards.of(v),
            accounts_url=link("accounts:list", {**base, "team": v["team"]})
            if v["team"]
            else link("accounts:list", base),
        )
        for v in rows.values("team", "team__name").annotate(**aggregates)
    ]
    by_team.sort(key=lambda r: r.label.lower())
    total = Standards.of(rows.aggregate(**aggregates))
    return Scorecards(
        scope=scope, by_rm=by_rm, by_team=by_team, total=total, reach=scorecard_scope(scope.user)
    )


def grade(rate: float | None) -> str:
    """``good``, ``warn`` or ``bad`` against the target; ``none`` without a figure."""
    if rate is None:
        return "none"
    if rate >= TARGET:
        return "good"
    if rate >= WARNING:
        return "warn"
    return "bad"

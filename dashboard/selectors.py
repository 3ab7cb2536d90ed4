"""The executive dashboard's figures: one function per figure, each a set-based aggregate over
the accounts in a ``Scope`` (the one door, then the slice), each row carrying the link to the
list behind it — the account list, the service requests or the alerts, with the filters that
count exactly the same rows.

Amounts in different currencies are never added raw: they are summed per currency in the
database and converted to CNY with the FX rates of the admin (``accounts.FxRate``); a
currency without a rate is left out and named on the page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, Sum, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import (
    NON_PERFORMING_CLASSES,
    Currency,
    EquatorCategory,
    LoanClass,
    Region,
    Sector,
    Tier,
)
from accounts.models import Account, Facility, FxRate
from accounts.selectors import tier_policies
from dashboard.models import AccountQuarterSnapshot
from interactions.models.service import ServiceRequest
from interactions.selectors.interactions import cadence_overdue_q, tier_cadence_days
from interactions.selectors.reviews import (
    held_exists,
    review_tiers,
    scheduled_exists,
)
from interactions.selectors.service import sla_counts
from kam.quarters import Quarter
from risk.choices import ACTIVE_STATES, AlertState, RiskLevel, Severity
from risk.filters import AGE_CHOICES, alert_age_q
from risk.models import Alert
from risk.selectors import loan_class_level

from . import conditions
from .scope import TREND_QUARTERS, Scope

ZERO = Decimal(0)


def link(view: str, params: Mapping[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
    url = reverse(view)
    return f"{url}?{query}" if query else url


def _pct(part: int | Decimal, whole: int | Decimal) -> float | None:
    return round(float(100 * Decimal(part) / Decimal(whole)), 1) if whole else None


# ---------------------------------------------------------------- money


def fx_rates_to_cny() -> dict[str, Decimal]:
    """CNY per unit of each currency with a rate (CNY itself is 1)."""
    return {"CNY": Decimal(1), **dict(FxRate.objects.values_list("currency", "rate_to_cny"))}


def _per_currency(
    prefix: str, base: Q | None = None, field_name: str = "exposure"
) -> dict[str, Sum]:
    """One conditional sum of ``field_name`` per currency (facility exposure by default:
    drawn plus undrawn)."""
    sums = {}
    for currency in Currency.values:
        condition = Q(currency=currency) if base is None else base & Q(currency=currency)
        sums[f"{prefix}{currency}"] = Sum(field_name, filter=condition)
    return sums


def _to_cny(
    values: Mapping[str, Any], prefix: str, rates: Mapping[str, Decimal], missing: set[str]
) -> Decimal:
    total = ZERO
    for currency in Currency.values:
        amount = values.get(f"{prefix}{currency}") or ZERO
        if not amount:
            continue
        if currency in rates:
            total += amount * rates[currency]
        else:
            missing.add(currency)
    return total.quantize(Decimal("0.01"))


# ---------------------------------------------------------------- key accounts by tier


@dataclass
class Row:
    """One line of a figure: what it counts, how many, and the list behind it."""

    key: str
    label: str
    count: int
    url: str
    extra: dict[str, Any] = field(default_factory=dict)


def accounts_by_tier(scope: Scope) -> list[Row]:
    counts = dict(
        scope.accounts()
        .order_by()
        .values_list("tier")
        .annotate(n=Count("pk"))
        .values_list("tier", "n")
    )
    params = scope.account_params()
    return [
        Row(
            value,
            str(label),
            counts.get(value, 0),
            link("accounts:list", {**params, "tier": value}),
        )
        for value, label in Tier.choices
        if not scope.tier or value == scope.tier
    ]


# ---------------------------------------------------------------- exposure

# A facility of a project with a green taxonomy category is green finance.
GREEN_Q = ~Q(project__green_category="")


@dataclass
class ExposureRow:
    """Exposure of one group of facilities: ``accounts`` are the obligors (borrowers) with
    exposure in it — the list behind the link. The unattributed row (facilities with no
    borrower named) has no obligors and no list."""

    key: str
    label: str
    accounts: int
    projects: int
    exposure_cny: Decimal
    drawn_cny: Decimal
    green_cny: Decimal
    green_accounts: int
    other_accounts: int
    url: str
    share: float | None = None
    facilities: int = 0

    @property
    def green_share(self) -> float | None:
        return _pct(self.green_cny, self.exposure_cny)

    @property
    def is_unattributed(self) -> bool:
        return self.key == UNATTRIBUTED


UNATTRIBUTED = "unattributed"


@dataclass
class ClassRow:
    """Exposure under one five-category loan classification (五级分类)."""

    key: int
    label: str
    accounts: int
    facilities: int
    exposure_cny: Decimal
    drawn_cny: Decimal
    url: str
    non_performing: bool
    share: float | None = None


@dataclass
class Exposure:
    by_tier: list[ExposureRow]
    by_sector: list[ExposureRow]
    by_region: list[ExposureRow]
    by_equator: list[ExposureRow]
    by_class: list[ClassRow]
    unattributed: ExposureRow | None
    total_cny: Decimal
    drawn_cny: Decimal
    green_cny: Decimal
    accounts: int
    green_accounts: int
    other_accounts: int
    green_url: str
    other_url: str
    accounts_url: str
    unconverted: list[str]
    rates: dict[str, Decimal]

    @property
    def green_share(self) -> float | None:
        return _pct(self.green_cny, self.total_cny)

    @property
    def other_cny(self) -> Decimal:
        return self.total_cny - self.green_cny

    @property
    def undrawn_cny(self) -> Decimal:
        return self.total_cny - self.drawn_cny

    @property
    def non_performing_cny(self) -> Decimal:
        return sum((r.exposure_cny for r in self.by_class if r.non_performing), ZERO)

    @property
    def non_performing_share(self) -> float | None:
        return _pct(self.non_performing_cny, self.total_cny)


def _money(prefix: str = "") -> dict[str, Sum]:
    """Exposure, drawn and green exposure per currency."""
    return {
        **_per_currency(f"{prefix}out_"),
        **_per_currency(f"{prefix}drawn_", field_name="drawn"),
        **_per_currency(f"{prefix}green_", GREEN_Q),
    }


def scoped_facilities(scope: Scope) -> tuple[QuerySet[Facility], QuerySet[Facility]]:
    """The facilities with exposure behind the scope's figures: ``attributed``, those whose
    borrower is in scope (exposure belongs to the obligor, whatever account the project is
    managed under); and ``in_scope``, those plus the facilities with no borrower named yet
    whose project's lead account is in scope (the unattributed exposure). With a sector
    chosen, only the facilities of projects in that sector."""
    facilities = Facility.objects.filter(exposure__gt=0).order_by()
    if scope.sector:
        facilities = facilities.filter(project__sector=scope.sector)
    borrowed = Q(borrower__isnull=False) & scope.related_q("borrower")
    loose = Q(borrower__isnull=True) & scope.related_q("project__account")
    return facilities.filter(borrowed), facilities.filter(borrowed | loose)


def _exposure_rows(
    facilities: QuerySet[Facility],
    group: str,
    choices: Iterable[tuple[str, Any]],
    link_params: Any,
    rates: Mapping[str, Decimal],
    missing: set[str],
) -> list[ExposureRow]:
    aggregates = {
        **_money(),
        "accounts": Count("borrower", distinct=True),
        "green_accounts": Count("borrower", distinct=True, filter=GREEN_Q),
        "other_accounts": Count("borrower", distinct=True, filter=~GREEN_Q),
        "projects": Count("project", distinct=True),
        "facilities": Count("pk"),
    }
    values = {row[group]: row for row in facilities.values(group).annotate(**aggregates)}
    rows = []
    for key, label in choices:
        row = values.get(key)
        if row is None:
            continue
        rows.append(
            ExposureRow(
                key=key,
                label=str(label),
                accounts=row["accounts"],
                projects=row["projects"],
                facilities=row["facilities"],
                exposure_cny=_to_cny(row, "out_", rates, missing),
                drawn_cny=_to_cny(row, "drawn_", rates, missing),
                green_cny=_to_cny(row, "green_", rates, missing),
                green_accounts=row["green_accounts"],
                other_accounts=row["other_accounts"],
                url=link("accounts:list", link_params(key)),
            )
        )
    return rows


def _with_unattributed(
    rows: list[ExposureRow], unattributed: ExposureRow | None
) -> list[ExposureRow]:
    """The rows, then the unattributed exposure as its own row; shares of the whole."""
    rows = [*rows, unattributed] if unattributed is not None else list(rows)
    total = sum((r.exposure_cny for r in rows), ZERO)
    return [replace(r, share=_pct(r.exposure_cny, total)) for r in rows]


def _add(target: dict[str, Any], row: Mapping[str, Any]) -> None:
    """Add the money of a grouped row into ``target`` (per-currency sums)."""
    for name, amount in row.items():
        if name.startswith(("out_", "drawn_", "green_")) and amount:
            target[name] = (target.get(name) or ZERO) + amount


def _classes(
    facilities: QuerySet[Facility],
    base: Mapping[str, Any],
    rates: Mapping[str, Decimal],
    missing: set[str],
) -> tuple[list[ClassRow], ExposureRow | None]:
    """Exposure per five-category classification, and the unattributed exposure: one query
    over the facilities in scope, attributed or not, grouped by classification and by
    whether a borrower is named."""
    rows = (
        facilities.annotate(loose=Case(When(borrower__isnull=True, then=1), default=0))
        .values("classification", "loose")
        .annotate(
            **_money(),
            accounts=Count("borrower", distinct=True),
            projects=Count("project", distinct=True),
            n=Count("pk"),
        )
    )
    by_class: dict[int, dict[str, Any]] = {}
    loose: dict[str, Any] = {"projects": 0, "n": 0}
    for row in rows:
        target = by_class.setdefault(row["classification"], {"accounts": 0, "n": 0})
        target["accounts"] += row["accounts"]
        target["n"] += row["n"]
        _add(target, row)
        if row["loose"]:
            # A project counted under two classifications is one project: the count is an
            # upper bound only when an unattributed project has facilities in two classes.
            loose["projects"] += row["projects"]
            loose["n"] += row["n"]
            _add(loose, row)
    class_rows = [
        ClassRow(
            key=int(value),
            label=str(label),
            accounts=by_class[value]["accounts"],
            facilities=by_class[value]["n"],
            exposure_cny=_to_cny(by_class[value], "out_", rates, missing),
            drawn_cny=_to_cny(by_class[value], "drawn_", rates, missing),
            url=link("accounts:list", {**base, "loan_class": int(value)}),
            non_performing=value in NON_PERFORMING_CLASSES,
        )
        for value, label in LoanClass.choices
        if value in by_class
    ]
    total = sum((r.exposure_cny for r in class_rows), ZERO)
    for r in class_rows:
        r.share = _pct(r.exposure_cny, total)
    unattributed = None
    if loose["n"]:
        unattributed = ExposureRow(
            key=UNATTRIBUTED,
            label=_("Unattributed (no borrower named yet)"),
            accounts=0,
            projects=loose["projects"],
            facilities=loose["n"],
            exposure_cny=_to_cny(loose, "out_", rates, missing),
            drawn_cny=_to_cny(loose, "drawn_", rates, missing),
            green_cny=_to_cny(loose, "green_", rates, missing),
            green_accounts=0,
            other_accounts=0,
            url="",
        )
    return class_rows, unattributed


def exposure(scope: Scope) -> Exposure:
    """Exposure (drawn plus undrawn, in CNY) of the facilities in scope, attributed to their
    borrower: by the obligor's tier, by the project's sector, region and Equator Principles
    category, by five-category classification, with the green share (projects with a green
    taxonomy category) and the unattributed exposure as its own row. Five grouped queries.
    ``accounts`` are the obligors in each group — the list behind the link."""
    rates = fx_rates_to_cny()
    missing: set[str] = set()
    attributed, in_scope = scoped_facilities(scope)
    base = {**scope.account_params(), "borrows": "yes"}
    equator_choices = [(c.value, c.label) for c in EquatorCategory] + [("", _("Not categorised"))]
    by_class, loose = _classes(in_scope, base, rates, missing)
    by_tier = _exposure_rows(
        attributed,
        "borrower__tier",
        Tier.choices,
        lambda key: {**base, "tier": key},
        rates,
        missing,
    )
    by_sector = _exposure_rows(
        attributed,
        "project__sector",
        Sector.choices,
        lambda key: {**base, "sector": key},
        rates,
        missing,
    )
    by_region = _exposure_rows(
        attributed,
        "project__region",
        Region.choices,
        lambda key: {**base, "project_region": key},
        rates,
        missing,
    )
    by_equator = _exposure_rows(
        attributed,
        "project__equator_category",
        equator_choices,
        lambda key: {**base, "equator": key or conditions.NO_EQUATOR},
        rates,
        missing,
    )
    everything = [*by_tier, *([loose] if loose else [])]
    return Exposure(
        by_tier=_with_unattributed(by_tier, loose),
        by_sector=_with_unattributed(by_sector, loose),
        by_region=_with_unattributed(by_region, loose),
        by_equator=_with_unattributed(by_equator, loose),
        by_class=by_class,
        unattributed=loose,
        total_cny=sum((r.exposure_cny for r in everything), ZERO),
        drawn_cny=sum((r.drawn_cny for r in everything), ZERO),
        green_cny=sum((r.green_cny for r in everything), ZERO),
        # Every obligor has one tier: the tier rows partition the obligors.
        accounts=sum(r.accounts for r in by_tier),
        green_accounts=sum(r.green_accounts for r in by_tier),
        other_accounts=sum(r.other_accounts for r in by_tier),
        green_url=link("accounts:list", {**base, "green": "yes"}),
        other_url=link("accounts:list", {**base, "green": "no"}),
        accounts_url=link("accounts:list", base),
        unconverted=sorted(missing),
        rates=rates,
    )


# ---------------------------------------------------------------- quarterly reviews


@dataclass
class Coverage:
    quarter: Quarter
    required: Row
    held: Row
    scheduled: Row
    missing: Row

    @property
    def rate(self) -> float | None:
        return _pct(self.held.count, self.required.count)

    @property
    def rows(self) -> list[Row]:
        return [self.held, self.scheduled, self.missing]


def review_coverage(scope: Scope, tiers: list[str] | None = None) -> Coverage:
    """Required accounts with a review held (with an executive), scheduled only, or missing
    in the scope's quarter: one query (interactions.selectors.reviews' definitions)."""
    quarter = scope.quarter
    tiers = review_tiers() if tiers is None else tiers
    required = conditions.review_required(scope.accounts(), tiers)
    counts = (
        required.annotate(is_held=held_exists(quarter), is_scheduled=scheduled_exists(quarter))
        .order_by()
        .aggregate(
            total=Count("pk"),
            held=Count("pk", filter=Q(is_held=True)),
            scheduled=Count("pk", filter=Q(is_held=False, is_scheduled=True)),
        )
    )
    base = {**scope.account_params(), "quarter": quarter.slug}
    labels = conditions.choice_labels(conditions.REVIEW_CHOICES)

    def row(key: str, count: int) -> Row:
        return Row(key, labels[key], count, link("accounts:list", {**base, "review": key}))

    missing = counts["total"] - counts["held"] - counts["scheduled"]
    return Coverage(
        quarter=quarter,
        required=row("required", counts["total"]),
        held=row("held", counts["held"]),
        scheduled=row("scheduled", counts["scheduled"]),
        missing=row("missing", missing),
    )


# ---------------------------------------------------------------- SLA attainment


@dataclass
class SlaQuarter:
    quarter: Quarter
    total: Row
    response_met: Row
    response_missed: Row
    resolution_met: Row
    resolution_missed: Row

    @property
    def response_rate(self) -> float | None:
        return _pct(self.response_met.count, self.response_met.count + self.response_missed.count)

    @property
    def resolution_rate(self) -> float | None:
        return _pct(
            self.resolution_met.count, self.resolution_met.count + self.resolution_missed.count
        )


def _quarter_q(quarter: Quarter, field_name: str = "opened_at") -> Q:
    return Q(**{f"{field_name}__gte": quarter.start, f"{field_name}__lt": quarter.end})


def sla_attainment(scope: Scope, now: dt.datetime | None = None) -> list[SlaQuarter]:
    """First-response and resolution attainment of the requests opened in the scope's
    quarter and the one before (the service report's outcome definitions): one query."""
    now = now or timezone.now()
    this, last = scope.quarter, scope.quarter.previous()
    requests = scope.related(ServiceRequest.objects.all()).filter(
        opened_at__gte=last.start, opened_at__lt=this.end
    )
    aggregates: dict[str, Any] = {}
    for quarter in (this, last):
        for name, expression in sla_counts(now, within=_quarter_q(quarter)).items():
            aggregates[f"{quarter.slug}_{name}"] = expression
    values = requests.order_by().aggregate(**aggregates)
    base = scope.related_params()
    result = []
    for quarter in (this, last):

        def row(name: str, label: str, quarter: Quarter = quarter) -> Row:
            params = {**base, "state": "all", "quarter": quarter.slug}
            if name != "total":
                params["sla"] = name
            return Row(name, label, values[f"{quarter.slug}_{name}"], link("service:list", params))

        result.append(
            SlaQuarter(
                quarter=quarter,
                total=row("total", _("Requests opened")),
                response_met=row("response_met", _("First response in time")),
                response_missed=row("response_missed", _("First response late")),
                resolution_met=row("resolution_met", _("Resolved in time")),
                resolution_missed=row("resolution_missed", _("Resolved late")),
            )
        )
    return result


# ---------------------------------------------------------------- alerts


@dataclass
class AlertRow:
    severity: int
    label: str
    total: Row
    by_age: list[Row]
    overdue: Row


@dataclass
class OpenAlerts:
    rows: list[AlertRow]
    ages: list[tuple[str, str]]
    total: Row
    by_age_total: list[Row]
    overdue: Row


def open_alerts(scope: Scope, now: dt.datetime | None = None) -> OpenAlerts:
    """Active alerts (open, acknowledged, in mitigation) by severity and age, and those past
    their acknowledgement deadline: one grouped query."""
    now = now or timezone.now()
    alerts = scope.related(Alert.objects.all()).filter(state__in=ACTIVE_STATES).order_by()
    aggregates: dict[str, Any] = {"n": Count("pk")}
    for value, _label in AGE_CHOICES:
        aggregates[f"age_{value}"] = Count("pk", filter=alert_age_q(value, now))
    aggregates["overdue"] = Count("pk", filter=Q(state=AlertState.OPEN, ack_deadline__lt=now))
    values = {row["severity"]: row for row in alerts.values("severity").annotate(**aggregates)}
    base = scope.related_params()
    ages = [(value, str(label)) for value, label in AGE_CHOICES]

    def row(params: dict[str, Any], count: int, key: str = "", label: str = "") -> Row:
        return Row(key, label, count, link("risk:alert_list", {**base, **params}))

    rows = []
    for severity, label in sorted(Severity.choices, reverse=True):
        v = values.get(severity, {})
        rows.append(
            AlertRow(
                severity=severity,
                label=str(label),
                total=row({"severity": severity}, v.get("n", 0)),
                by_age=[
                    row({"severity": severity, "age": a}, v.get(f"age_{a}", 0), a, al)
                    for a, al in ages
                ],
                overdue=row({"severity": severity, "overdue": "on"}, v.get("overdue", 0)),
            )
        )
    return OpenAlerts(
        rows=rows,
        ages=ages,
        total=row({}, sum(r.total.count for r in rows)),
        by_age_total=[
            row({"age": a}, sum(r.by_age[i].count for r in rows), a, al)
            for i, (a, al) in enumerate(ages)
        ],
        overdue=row({"overdue": "on"}, sum(r.overdue.count for r in rows)),
    )


# ---------------------------------------------------------------- risk levels and top accounts


def risk_levels(scope: Scope, accounts: int) -> list[Row]:
    """Accounts by risk level, as risk.selectors.with_risk_level reads it for the list: the
    worse of their worst active alert and the level their facilities' worst five-category
    classification sets. Counted from the active alerts grouped by account (on the index of
    active alerts) and the classified facilities grouped by borrower, in one query, rather
    than a subquery per account; green is the rest of the ``accounts`` in scope."""
    alerts = (
        scope.related(Alert.objects.all())
        .filter(state__in=ACTIVE_STATES)
        .order_by()
        .values("account_id")
        .annotate(level=Max("severity"))
    )
    classified = (
        scope.related(Facility.objects.all(), path="borrower")
        .filter(exposure__gt=0, classification__gt=LoanClass.NORMAL)
        .order_by()
        .values(account_id=F("borrower_id"))
        .annotate(level=Max(loan_class_level("classification")))
    )
    counts: dict[int, int] = {}
    parts = []
    for part in (alerts, classified):
        try:
            parts.append(part.query.sql_with_params())
        except EmptyResultSet:
            continue  # a scope of no account at all (a user whose book is empty)
    if parts:
        union = " UNION ALL ".join(
            f"SELECT account_id, level FROM ({sql}) part{i}"  # noqa: S608
            for i, (sql, _p) in enumerate(parts)
        )
        params = [param for _sql, part_params in parts for param in part_params]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT level, COUNT(*) FROM (SELECT account_id, MAX(level) AS level FROM"  # noqa: S608
                f" ({union}) levels GROUP BY account_id) per_account GROUP BY level",
                params,
            )
            counts = {int(level): n for level, n in cursor.fetchall() if level}
    counts[int(RiskLevel.GREEN)] = accounts - sum(counts.values())
    base = scope.account_params()
    return [
        Row(
            conditions.RISK_CODES[int(level)],
            str(label),
            counts.get(int(level), 0),
            link("accounts:list", {**base, "risk": conditions.RISK_CODES[int(level)]}),
        )
        for level, label in sorted(RiskLevel.choices, reverse=True)
    ]


@dataclass
class AtRisk:
    account: Account
    level: int
    alerts: int
    oldest: dt.datetime
    alerts_url: str


def top_at_risk(scope: Scope, limit: int = 10) -> list[AtRisk]:
    """The accounts at most risk: worst active alert, then most active alerts, then the
    oldest. Grouped from the alerts (index on active alerts), then the accounts: two queries."""
    ranked = list(
        scope.related(Alert.objects.all())
        .filter(state__in=ACTIVE_STATES)
        .order_by()
        .values("account_id")
        .annotate(level=Max("severity"), n=Count("pk"), oldest=Min("opened_at"))
        .order_by("-level", "-n", "oldest", "account_id")[:limit]
    )
    accounts = Account.objects.select_related("owner", "team").in_bulk(
        [r["account_id"] for r in ranked]
    )
    base = scope.related_params()
    return [
        AtRisk(
            account=accounts[r["account_id"]],
            level=r["level"],
            alerts=r["n"],
            oldest=r["oldest"],
            alerts_url=link("risk:alert_list", {**base, "account": r["account_id"]}),
        )
        for r in ranked
        if r["account_id"] in accounts
    ]


# ---------------------------------------------------------------- cadence


@dataclass
class CadenceFigure:
    applies: int
    kept: Row
    overdue: Row

    @property
    def rate(self) -> float | None:
        return _pct(self.kept.count, self.applies)


def cadence(scope: Scope, days: dict[str, int] | None = None) -> CadenceFigure:
    """Accounts contacted within their tier's cadence now, and those overdue: one query
    (interactions.selectors.interactions' cadence definition)."""
    days = tier_cadence_days() if days is None else days
    counts = (
        conditions.cadence_applies(scope.accounts(), days)
        .order_by()
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=cadence_overdue_q(cadence=days)))
    )
    base = scope.account_params()
    labels = conditions.choice_labels(conditions.CADENCE_CHOICES)
    return CadenceFigure(
        applies=counts["total"],
        kept=Row(
            "kept",
            labels["kept"],
            counts["total"] - counts["overdue"],
            link("accounts:list", {**base, "cadence": "kept"}),
        ),
        overdue=Row(
            "overdue",
            labels["overdue"],
            counts["overdue"],
            link("accounts:list", {**base, "cadence": "overdue"}),
        ),
    )


# ---------------------------------------------------------------- trends (snapshots)

SNAPSHOT_SUMS = (
    "sr_total",
    "sr_response_met",
    "sr_response_missed",
    "sr_resolution_met",
    "sr_resolution_missed",
    "alerts_raised",
    "alerts_active_end",
    "alerts_ack_in_time",
    "alerts_ack_late",
    "actions_on_time",
    "actions_late",
)


def snapshot_aggregates() -> dict[str, Any]:
    """Sums over snapshot rows, named ``s_<figure>`` (annotations may not reuse field names)."""
    aggregates: dict[str, Any] = {
        "accounts": Count("pk"),
        "exposure": Sum("exposure_cny"),
        "green": Sum("green_exposure_cny"),
        "drawn": Sum("drawn_cny"),
        "cadence_applies": Count("pk", filter=Q(cadence_applies=True)),
        "cadence_kept": Count("pk", filter=Q(cadence_applies=True, cadence_kept=True)),
        "review_required": Count("pk", filter=Q(review_required=True)),
        "review_held": Count("pk", filter=Q(review_required=True, review_held=True)),
        "computed_at": Max("computed_at"),
    }
    for name in SNAPSHOT_SUMS:
        aggregates[name] = Sum(name)
    return {f"s_{name}": expression for name, expression in aggregates.items()}


@dataclass
class Standards:
    """What the standard asks, summed over snapshot rows (a quarter, an RM, a team)."""

    accounts: int = 0
    exposure: Decimal = ZERO
    green: Decimal = ZERO
    drawn: Decimal = ZERO
    cadence_applies: int = 0
    cadence_kept: int = 0
    review_required: int = 0
    review_held: int = 0
    sr_total: int = 0
    sr_response_met: int = 0
    sr_response_missed: int = 0
    sr_resolution_met: int = 0
    sr_resolution_missed: int = 0
    alerts_raised: int = 0
    alerts_active_end: int = 0
    alerts_ack_in_time: int = 0
    alerts_ack_late: int = 0
    actions_on_time: int = 0
    actions_late: int = 0
    computed_at: dt.datetime | None = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Standards:
        fields = cls.__dataclass_fields__
        found = {k[2:]: v for k, v in values.items() if k.startswith("s_") and k[2:] in fields}
        # Every field has a default, taken where the aggregate is NULL (no rows).
        values_or_defaults: dict[str, Any] = {
            k: (fields[k].default if v is None else v) for k, v in found.items()
        }
        return cls(**values_or_defaults)

    @property
    def green_share(self) -> float | None:
        return _pct(self.green, self.exposure)

    @property
    def cadence_rate(self) -> float | None:
        return _pct(self.cadence_kept, self.cadence_applies)

    @property
    def review_rate(self) -> float | None:
        return _pct(self.review_held, self.review_required)

    @property
    def response_rate(self) -> float | None:
        return _pct(self.sr_response_met, self.sr_response_met + self.sr_response_missed)

    @property
    def resolution_rate(self) -> float | None:
        return _pct(self.sr_resolution_met, self.sr_resolution_met + self.sr_resolution_missed)

    @property
    def sla_met(self) -> int:
        return self.sr_response_met + self.sr_resolution_met

    @property
    def sla_outcomes(self) -> int:
        return self.sla_met + self.sr_response_missed + self.sr_resolution_missed

    @property
    def sla_rate(self) -> float | None:
        return _pct(self.sla_met, self.sla_outcomes)

    @property
    def ack_rate(self) -> float | None:
        return _pct(self.alerts_ack_in_time, self.alerts_ack_in_time + self.alerts_ack_late)

    @property
    def actions_rate(self) -> float | None:
        return _pct(self.actions_on_time, self.actions_on_time + self.actions_late)


@dataclass
class TrendPoint:
    quarter: Quarter
    figures: Standards | None
    reviews_url: str
    requests_url: str


def trend_quarters(last: Quarter, count: int = TREND_QUARTERS) -> list[Quarter]:
    quarters = [last]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return list(reversed(quarters))


def trends(scope: Scope) -> list[TrendPoint]:
    """The last eight quarters up to the scope's, from the quarterly snapshots of the
    accounts in scope: one grouped query over a small rollup table."""
    quarters = trend_quarters(scope.quarter)
    in_quarters = Q(pk__in=[])
    for quarter in quarters:
        in_quarters |= Q(year=quarter.year, quarter=quarter.quarter)
    snapshots = scope.related(AccountQuarterSnapshot.objects.all()).filter(in_quarters)
    values = {
        (row["year"], row["quarter"]): row
        for row in snapshots.order_by().values("year", "quarter").annotate(**snapshot_aggregates())
    }
    account_base = scope.account_params()
    related_base = scope.related_params()
    points = []
    for quarter in quarters:
        row = values.get((quarter.year, quarter.quarter))
        points.append(
            TrendPoint(
                quarter=quarter,
                figures=Standards.of(row) if row else None,
                reviews_url=link(
                    "accounts:list", {**account_base, "review": "held", "quarter": quarter.slug}
                ),
                requests_url=link(
                    "service:list", {**related_base, "state": "all", "quarter": quarter.slug}
                ),
            )
        )
    return points


# ---------------------------------------------------------------- the whole dashboard


@dataclass
class Dashboard:
    scope: Scope | Any
    by_tier: list[Row]
    exposure: Exposure
    coverage: Coverage
    sla: list[SlaQuarter]
    alerts: OpenAlerts
    risk: list[Row]
    at_risk: list[AtRisk]
    cadence: CadenceFigure
    trends: list[TrendPoint]
    now: dt.datetime

    @property
    def account_count(self) -> int:
        return sum(r.count for r in self.by_tier)

    @property
    def accounts_url(self) -> str:
        return link("accounts:list", self.scope.account_params())

    @property
    def at_risk_count(self) -> int:
        return sum(r.count for r in self.risk if r.key != "green")

    @property
    def at_risk_url(self) -> str:
        return link("accounts:list", {**self.scope.account_params(), "risk": "at_risk"})

    @property
    def snapshot_at(self) -> dt.datetime | None:
        stamps = [p.figures.computed_at for p in self.trends if p.figures and p.figures.computed_at]
        return max(stamps) if stamps else None


def _compute(scope: Scope) -> Dashboard:
    now = timezone.now()
    by_tier = accounts_by_tier(scope)
    policies = tier_policies()  # read once for the review coverage and the cadence
    return Dashboard(
        scope=scope,
        by_tier=by_tier,
        exposure=exposure(scope),
        coverage=review_coverage(scope, review_tiers(policies)),
        sla=sla_attainment(scope, now),
        alerts=open_alerts(scope, now),
        risk=risk_levels(scope, accounts=sum(r.count for r in by_tier)),
        at_risk=top_at_risk(scope),
        cadence=cadence(scope, tier_cadence_days(policies)),
        trends=trends(scope),
        now=now,
    )


def cache_key(scope: Scope) -> str:
    """Who may share a computed dashboard: everyone who reads every account sees the same
    figures for the same filters; anyone else only their own."""
    user = scope.user
    reach = "all" if user.is_portal_admin or user.reads_all_accounts else f"user{user.pk}"
    parts = [
        reach,
        scope.quarter.slug,
        str(scope.team.pk if scope.team else ""),
        scope.region,
        scope.sector,
        scope.tier,
        translation.get_language() or "",
    ]
    return "dashboard:" + ":".join(parts)


def executive_dashboard(scope: Scope, *, fresh: bool = False) -> Dashboard:
    """Every figure of the executive dashboard: a fixed number of aggregate queries whatever
    the size of the book (no query per row), computed live and kept for
    ``DASHBOARD_CACHE_SECONDS`` (the page says as of when) for the readers who share the
    same reach and filters. The lists behind the figures are always live."""
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 0)
    if not seconds or fresh:
        return _compute(scope)
    key = cache_key(scope)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that is down must not take the page down
        cached = None
    if isinstance(cached, Dashboard):
        return replace(cached, scope=scope)
    dashboard = _compute(scope)
    with contextlib.suppress(Exception):  # a cache that is down only costs the next reader
        cache.set(key, replace(dashboard, scope=None), seconds)
    return dashboard

"""Exposure: what the bank has at risk with an obligor, from the facilities it borrows under.

    exposure of a facility = drawn (for a guarantee or letter of credit: issued)
                             + undrawn commitment still available
    exposure of an obligor = the sum over the facilities it is the borrower of, per currency;
                             in CNY at the FX rates kept in the admin (accounts.FxRate)

Exposure is attributed to the facility's borrower, never to the project's lead account or to
another party (a contractor or an off-taker owes us nothing). Facilities with no borrower named
yet are "unattributed": shown on their project and counted in the portfolio, never in an
obligor's figures. Amounts in different currencies are never added without a rate; a currency
without a rate is reported, not silently dropped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db.models import Count, F, Max, Q, QuerySet, Sum

from .choices import LoanClass
from .models import Facility, FxRate

ZERO = Decimal("0")


def fx_rates() -> dict[str, Decimal]:
    """CNY per unit of each currency kept, CNY itself included."""
    return {"CNY": Decimal(1), **dict(FxRate.objects.values_list("currency", "rate_to_cny"))}


@dataclass
class CurrencyExposure:
    """One currency's figures of a set of facilities."""

    currency: str
    commitment: Decimal = ZERO
    drawn: Decimal = ZERO
    undrawn: Decimal = ZERO
    exposure: Decimal = ZERO
    facilities: int = 0
    cny: Decimal | None = None  # None: no rate kept for the currency


@dataclass
class ExposureSummary:
    """Per currency and in CNY, with the worst classification among the facilities."""

    by_currency: list[CurrencyExposure] = field(default_factory=list)
    total_cny: Decimal = ZERO
    missing_rates: list[str] = field(default_factory=list)
    worst_class: int | None = None
    over_commitment: int = 0  # facilities drawn above their commitment (flagged)

    @property
    def worst_class_label(self) -> str:
        return str(LoanClass(self.worst_class).label) if self.worst_class else ""

    @property
    def facilities(self) -> int:
        return sum(row.facilities for row in self.by_currency)


class FacilityFigures(Protocol):
    """What ``summarize`` reads of a facility: a Facility, or a page's row of one."""

    @property
    def currency(self) -> str: ...
    @property
    def commitment(self) -> Decimal: ...
    @property
    def drawn(self) -> Decimal: ...
    @property
    def undrawn(self) -> Decimal: ...
    @property
    def classification(self) -> int: ...
    @property
    def exposure_amount(self) -> Decimal: ...
    @property
    def over_commitment(self) -> bool: ...


def summarize(
    facilities: Iterable[FacilityFigures], rates: Mapping[str, Decimal]
) -> ExposureSummary:
    """Figures of facilities already in hand (a page that lists them adds them up here)."""
    rows: dict[str, CurrencyExposure] = {}
    summary = ExposureSummary()
    for facility in facilities:
        row = rows.setdefault(facility.currency, CurrencyExposure(facility.currency))
        row.commitment += facility.commitment
        row.drawn += facility.drawn
        row.undrawn += facility.undrawn
        row.exposure += facility.exposure_amount
        row.facilities += 1
        if facility.over_commitment:
            summary.over_commitment += 1
        # A repaid facility (no exposure left) no longer sets the obligor's classification.
        if facility.exposure_amount > 0 and (
            summary.worst_class is None or facility.classification > summary.worst_class
        ):
            summary.worst_class = facility.classification
    return _finish(summary, rows, rates)


def summarize_queryset(
    facilities: QuerySet[Facility], rates: Mapping[str, Decimal]
) -> ExposureSummary:
    """The same figures added up by the database: one query whatever the number of facilities."""
    rows: dict[str, CurrencyExposure] = {}
    summary = ExposureSummary()
    for values in (
        facilities.order_by()
        .values("currency")
        .annotate(
            # Not named after the columns: the filter of ``over`` reads the columns.
            sum_commitment=Sum("commitment"),
            sum_drawn=Sum("drawn"),
            sum_undrawn=Sum("undrawn"),
            sum_exposure=Sum("exposure"),
            n=Count("pk"),
            worst=Max("classification", filter=Q(exposure__gt=0)),
            over=Count("pk", filter=Q(drawn__gt=F("commitment"))),
        )
    ):
        rows[values["currency"]] = CurrencyExposure(
            currency=values["currency"],
            commitment=values["sum_commitment"] or ZERO,
            drawn=values["sum_drawn"] or ZERO,
            undrawn=values["sum_undrawn"] or ZERO,
            exposure=values["sum_exposure"] or ZERO,
            facilities=values["n"] or 0,
        )
        summary.over_commitment += values["over"] or 0
        if values["worst"] and (
            summary.worst_class is None or values["worst"] > summary.worst_class
        ):
            summary.worst_class = values["worst"]
    return _finish(summary, rows, rates)


def _finish(
    summary: ExposureSummary, rows: dict[str, CurrencyExposure], rates: Mapping[str, Decimal]
) -> ExposureSummary:
    for currency in sorted(rows):
        row = rows[currency]
        rate = rates.get(currency)
        if rate is None:
            summary.missing_rates.append(currency)
        else:
            row.cny = row.exposure * rate
            summary.total_cny += row.cny
        summary.by_currency.append(row)
    return summary


def obligor_exposure_by_currency(
    account_ids: Iterable[int] | None = None,
) -> dict[int, dict[str, Decimal]]:
    """Each obligor's exposure per currency: {borrower id: {currency: amount}}. With
    ``account_ids``, only those obligors (one query, served by the borrower index)."""
    facilities = Facility.objects.filter(borrower__isnull=False, exposure__gt=0)
    if account_ids is not None:
        facilities = facilities.filter(borrower_id__in=list(account_ids))
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for borrower_id, currency, amount in (
        facilities.order_by()
        .values_list("borrower_id", "currency")
        .annotate(total=Sum("exposure"))
        .values_list("borrower_id", "currency", "total")
    ):
        found[borrower_id][currency] = amount or ZERO
    return dict(found)


def in_cny(amounts: Mapping[str, Decimal], rates: Mapping[str, Decimal]) -> Decimal:
    """The CNY value of amounts per currency; a currency with no rate counts nothing (pages
    that show the figure say which rates are missing: ``ExposureSummary.missing_rates``)."""
    return sum(
        (amount * rates[currency] for currency, amount in amounts.items() if currency in rates),
        ZERO,
    )


def obligor_exposure_cny(
    account_ids: Iterable[int] | None = None, rates: Mapping[str, Decimal] | None = None
) -> dict[int, Decimal]:
    """Each obligor's exposure in CNY: {borrower id: amount}."""
    rates = fx_rates() if rates is None else rates
    return {
        account_id: in_cny(amounts, rates)
        for account_id, amounts in obligor_exposure_by_currency(account_ids).items()
    }

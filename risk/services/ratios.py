"""Coverage ratios from their inputs: pure arithmetic on Decimals, no database.

- DSCR = CFADS / debt service, both of the same period.
- LLCR = NPV(CFADS over the remaining loan life) / debt outstanding, where the CFADS of period
  k (k = 1, 2, ..., the first period after the test date first) is discounted by
  (1 + r / n) ** k, r the agreed annual discount rate and n the test periods in a year.

Ratios are rounded half up to four places (0.0001x).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

FOUR_PLACES = Decimal("0.0001")
# Reported and computed ratios may differ by rounding: by more than this, the test is flagged.
DEFAULT_TOLERANCE = Decimal("0.01")


def ratio_tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "RISK_COVENANT_RATIO_TOLERANCE", DEFAULT_TOLERANCE)))


def dscr(*, cfads: Decimal, debt_service: Decimal) -> Decimal:
    if debt_service <= 0:
        raise ValueError("debt service must be positive")
    return (cfads / debt_service).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def npv(
    *, cash_flows: Sequence[Decimal], annual_rate_pct: Decimal, periods_per_year: int
) -> Decimal:
    """Present value at the test date of cash flows at the end of each following period."""
    if periods_per_year <= 0:
        raise ValueError("periods per year must be positive")
    factor = 1 + annual_rate_pct / 100 / periods_per_year
    if factor <= 0:
        raise ValueError("the discount rate must be above -100%")
    return sum(
        (Decimal(flow) / factor**k for k, flow in enumerate(cash_flows, start=1)), Decimal(0)
    )


def llcr(
    *,
    cfads_forecast: Sequence[Decimal],
    annual_rate_pct: Decimal,
    debt_outstanding: Decimal,
    periods_per_year: int,
) -> Decimal:
    if debt_outstanding <= 0:
        raise ValueError("debt outstanding must be positive")
    if not cfads_forecast:
        raise ValueError("the CFADS forecast is empty")
    value = npv(
        cash_flows=cfads_forecast,
        annual_rate_pct=annual_rate_pct,
        periods_per_year=periods_per_year,
    )
    return (value / debt_outstanding).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def mismatch(*, reported: Decimal, computed: Decimal, tolerance: Decimal | None = None) -> bool:
    """Whether a reported ratio is further from the one computed from its inputs than the
    tolerance (an absolute difference, e.g. 0.01x)."""
    limit = ratio_tolerance() if tolerance is None else tolerance
    return abs(reported - computed) > limit

"""Rules over projects and exposure: project delay and single-name concentration."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import ProjectStage
from accounts.models import FxRate, Project

from .registry import (
    DecimalParam,
    Evidence,
    IntParam,
    MultiChoiceParam,
    RuleType,
    accounts_q,
    register,
)

# Stages where a slipping commercial operation date still matters.
PRE_COD_STAGES = [
    ProjectStage.CREDIT_APPROVAL,
    ProjectStage.FINANCIAL_CLOSE,
    ProjectStage.CONSTRUCTION,
]


@register
class ProjectDelay(RuleType):
    code = "project_delay"
    label = gettext_lazy("Project delay")
    description = gettext_lazy(
        "A project's forecast commercial operation date has slipped past the planned date "
        "by more than a number of days."
    )
    params = (
        IntParam(
            "days",
            gettext_lazy("slipped by more than (days)"),
            default=90,
            minimum=1,
            maximum=3650,
        ),
        MultiChoiceParam(
            "stages",
            gettext_lazy("project stages"),
            gettext_lazy("Stages in which a delay counts; empty means every stage."),
            choices=lambda: ProjectStage.choices,
            default=[str(s) for s in PRE_COD_STAGES],
        ),
    )

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        qs = Project.objects.filter(
            accounts_q("account_id", account_ids),
            planned_cod__isnull=False,
            forecast_cod__gt=F("planned_cod"),
        )
        if self.p["stages"]:
            qs = qs.filter(stage__in=self.p["stages"])
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        rows = qs.values_list("account_id", "pk", "name", "stage", "planned_cod", "forecast_cod")
        for account_id, pk, name, stage, planned, forecast in rows.order_by():
            assert planned is not None and forecast is not None  # the filter excludes NULLs
            # Day arithmetic in Python: date + interval is not portable across databases.
            slip = (forecast - planned).days
            if slip > self.p["days"]:
                found[account_id].append(
                    {
                        "project_id": pk,
                        "project": name,
                        "stage": stage,
                        "planned_cod": planned.isoformat(),
                        "forecast_cod": forecast.isoformat(),
                        "slip_days": slip,
                    }
                )
        return {
            account_id: {"projects": sorted(projects, key=lambda p: -p["slip_days"])}
            for account_id, projects in found.items()
        }

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        return "; ".join(
            _(
                "%(project)s: commercial operation forecast %(forecast)s, planned %(planned)s (%(days)s days late)"
            )
            % {
                "project": p["project"],
                "forecast": p["forecast_cod"],
                "planned": p["planned_cod"],
                "days": p["slip_days"],
            }
            for p in evidence.get("projects", [])
        )


@register
class ExposureConcentration(RuleType):
    """Single-name concentration: an account's outstanding exposure, converted to CNY with the
    FX rates the tiering model uses (``accounts.FxRate``), as a share of the whole portfolio's.
    Amounts in a currency without a rate are left out of both sides and named in the evidence."""

    code = "exposure_concentration"
    label = gettext_lazy("Exposure concentration")
    description = gettext_lazy(
        "An account's outstanding exposure is more than a share of the whole portfolio's "
        "outstanding exposure (both converted to CNY at the FX rates in the admin)."
    )
    params = (
        DecimalParam(
            "max_share_pct",
            gettext_lazy("largest share of the portfolio (%)"),
            default="5",
            minimum=Decimal("0.01"),
            maximum=Decimal("100"),
        ),
    )

    @staticmethod
    def rates() -> dict[str, Decimal]:
        return {"CNY": Decimal(1), **dict(FxRate.objects.values_list("currency", "rate_to_cny"))}

    def prepare(self) -> dict[str, Any]:
        rates = self.rates()
        totals = (
            Project.objects.filter(outstanding__gt=0)
            .order_by()
            .values("currency")
            .annotate(total=Sum("outstanding"))
            .values_list("currency", "total")
        )
        portfolio = sum(
            (total * rates[currency] for currency, total in totals if currency in rates),
            Decimal(0),
        )
        return {
            "portfolio_cny": str(portfolio.quantize(Decimal("0.01"))),
            "rates": {currency: str(rate) for currency, rate in rates.items()},
        }

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        context = self.context or self.prepare()
        portfolio = Decimal(context["portfolio_cny"])
        rates = {currency: Decimal(rate) for currency, rate in context["rates"].items()}
        if not portfolio:
            return {}
        limit = Decimal(self.p["max_share_pct"])
        rows = (
            Project.objects.filter(accounts_q("account_id", account_ids), outstanding__gt=0)
            .order_by()
            .values("account_id", "currency")
            .annotate(total=Sum("outstanding"))
            .values_list("account_id", "currency", "total")
        )
        exposure: dict[int, Decimal] = defaultdict(Decimal)
        unconverted: dict[int, list[str]] = defaultdict(list)
        for account_id, currency, total in rows:
            if currency in rates:
                exposure[account_id] += total * rates[currency]
            else:
                unconverted[account_id].append(currency)
        found: dict[int, Evidence] = {}
        for account_id, amount in exposure.items():
            share = (amount / portfolio * 100).quantize(Decimal("0.01"))
            if share > limit:
                found[account_id] = {
                    "outstanding_cny": str(amount.quantize(Decimal("1"))),
                    "portfolio_cny": str(portfolio.quantize(Decimal("1"))),
                    "share_pct": str(share),
                    "limit_pct": str(limit),
                    "unconverted": sorted(unconverted.get(account_id, [])),
                }
        return found

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        text = _(
            "%(share)s%% of the portfolio's outstanding exposure (CNY %(amount)s of "
            "%(portfolio)s; limit %(limit)s%%)"
        ) % {
            "share": evidence.get("share_pct"),
            "amount": f"{Decimal(evidence.get('outstanding_cny', 0)):,.0f}",
            "portfolio": f"{Decimal(evidence.get('portfolio_cny', 0)):,.0f}",
            "limit": evidence.get("limit_pct"),
        }
        if evidence.get("unconverted"):
            text += " " + _("(no FX rate for %(currencies)s)") % {
                "currencies": ", ".join(evidence["unconverted"])
            }
        return text

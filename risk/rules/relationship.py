"""Rules over the relationship record, read from the interactions app (issues 4 and 5):
relationship decay (``AccountContactStats``, kept per account by the interaction services),
missed quarterly reviews (``StrategicReview``, with the coverage definition of the reviews
selectors) and repeated SLA breaches (``SlaBreach``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import AccountStatus, Tier
from accounts.models import Account
from interactions.models import SlaBreach
from interactions.selectors.interactions import tier_cadence_days
from interactions.selectors.reviews import held_exists, review_tiers
from kam.quarters import Quarter

from .registry import (
    DecimalParam,
    Evidence,
    IntParam,
    MultiChoiceParam,
    RuleType,
    accounts_q,
    register,
)


@register
class RelationshipDecay(RuleType):
    code = "relationship_decay"
    label = gettext_lazy("Relationship decay")
    description = gettext_lazy(
        "No meaningful interaction with the account for longer than its tier's cadence times "
        "a factor (or than a fixed number of days). An account never contacted counts from "
        "the day it was created."
    )
    params = (
        DecimalParam(
            "cadence_multiple",
            gettext_lazy("times the tier's cadence"),
            gettext_lazy(
                "Alert when the last meaningful interaction is older than the tier's cadence times this."
            ),
            default="2",
            minimum=Decimal("1"),
            maximum=Decimal("10"),
        ),
        IntParam(
            "days",
            gettext_lazy("or a fixed number of days"),
            gettext_lazy("0 uses the tier's cadence; otherwise this many days for every tier."),
            default=0,
            minimum=0,
            maximum=3650,
        ),
        MultiChoiceParam(
            "statuses",
            gettext_lazy("account statuses"),
            gettext_lazy("Statuses the rule watches; empty means every status but exited."),
            choices=lambda: AccountStatus.choices,
            default=[str(AccountStatus.ACTIVE)],
        ),
    )

    def limits(self) -> dict[str, int]:
        if self.p["days"]:
            return dict.fromkeys(Tier.values, self.p["days"])
        multiple = Decimal(self.p["cadence_multiple"])
        return {
            tier: int((Decimal(days) * multiple).to_integral_value())
            for tier, days in tier_cadence_days().items()
        }

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        limits = self.limits()
        condition = Q(pk__in=[])
        for tier, days in limits.items():
            cutoff = self.now - timedelta(days=days)
            condition |= Q(tier=tier) & (
                Q(contact_stats__last_meaningful_at__lt=cutoff)
                | Q(contact_stats__last_meaningful_at__isnull=True, created_at__lt=cutoff)
            )
        qs = Account.objects.filter(condition, accounts_q("pk", account_ids))
        if self.p["statuses"]:
            qs = qs.filter(status__in=self.p["statuses"])
        else:
            qs = qs.exclude(status=AccountStatus.EXITED)
        found: dict[int, Evidence] = {}
        rows = qs.order_by().values_list("pk", "tier", "contact_stats__last_meaningful_at")
        for pk, tier, last in rows:
            found[pk] = {
                "last_meaningful": timezone.localdate(last).isoformat() if last else None,
                "limit_days": limits[tier],
                # Whole weeks, so that the evidence (and its history) changes weekly, not daily.
                "weeks_since": (self.now - last).days // 7 if last else None,
            }
        return found

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        if not evidence.get("last_meaningful"):
            return _("No meaningful interaction recorded yet (limit %(limit)s days).") % {
                "limit": evidence.get("limit_days")
            }
        return _("Last meaningful interaction on %(date)s (limit %(limit)s days).") % {
            "date": evidence["last_meaningful"],
            "limit": evidence.get("limit_days"),
        }


@register
class MissedQuarterlyReview(RuleType):
    code = "missed_quarterly_review"
    label = gettext_lazy("Missed quarterly review")
    description = gettext_lazy(
        "The account's tier requires a quarterly executive review (tier policy) and none was "
        "held, with an executive attending, in the last calendar quarter. Checked once the "
        "grace days after the quarter's end have passed."
    )
    params = (
        IntParam(
            "grace_days",
            gettext_lazy("grace after quarter end (days)"),
            gettext_lazy("Days after a quarter ends before a missing review raises an alert."),
            default=15,
            minimum=0,
            maximum=80,
        ),
    )

    def quarter(self) -> Quarter:
        return Quarter.of(self.today - timedelta(days=self.p["grace_days"])).previous()

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        quarter = self.quarter()
        missing = (
            Account.objects.filter(
                accounts_q("pk", account_ids), tier__in=review_tiers(), created_at__lt=quarter.end
            )
            .exclude(status=AccountStatus.EXITED)
            .exclude(held_exists(quarter))
            .order_by()
            .values_list("pk", flat=True)
        )
        evidence = {"quarter": str(quarter), "quarter_end": quarter.last_day.isoformat()}
        return {pk: dict(evidence) for pk in missing}

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        return _("No strategic review held with an executive in %(quarter)s.") % {
            "quarter": evidence.get("quarter")
        }


@register
class RepeatedSlaBreaches(RuleType):
    code = "repeated_sla_breaches"
    label = gettext_lazy("Repeated SLA breaches")
    description = gettext_lazy(
        "At least a number of service-level breaches (first response or resolution) on the "
        "account's service requests within a window of days."
    )
    params = (
        IntParam("breaches", gettext_lazy("breaches"), default=3, minimum=1, maximum=100),
        IntParam("window_days", gettext_lazy("within (days)"), default=90, minimum=1, maximum=730),
    )

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        rows = (
            SlaBreach.objects.filter(
                accounts_q("request__account_id", account_ids),
                detected_at__gte=self.now - timedelta(days=self.p["window_days"]),
            )
            .order_by()
            .values("request__account_id")
            .annotate(n=Count("pk"), latest=Max("detected_at"))
            .filter(n__gte=self.p["breaches"])
            .values_list("request__account_id", "n", "latest")
        )
        return {
            account_id: {
                "breaches": n,
                "window_days": self.p["window_days"],
                "latest": timezone.localdate(latest).isoformat(),
            }
            for account_id, n, latest in rows
        }

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        return _("%(n)s SLA breaches in the last %(days)s days (latest on %(latest)s).") % {
            "n": evidence.get("breaches"),
            "days": evidence.get("window_days"),
            "latest": evidence.get("latest"),
        }

"""Rules over signals risk records itself: internal rating downgrades and negative ESG events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import CreditRating
from accounts.models import Account

from ..choices import EsgSeverity
from ..models import EsgEvent, RatingChange
from .registry import ChoiceParam, Evidence, IntParam, RuleType, accounts_q, register


@register
class RatingDowngrade(RuleType):
    """Reads ``RatingChange``: the changes of internal credit rating the scan has observed.
    The rating at the start of the window is the ``from`` side of its first change in the
    window; a downgrade is the notches from there to today's rating."""

    code = "rating_downgrade"
    label = gettext_lazy("Internal rating downgrade")
    description = gettext_lazy(
        "The account's internal credit rating fell by at least a number of notches within a "
        "window of days (AA to A- is three notches)."
    )
    params = (
        IntParam("notches", gettext_lazy("notches down"), default=2, minimum=1, maximum=17),
        IntParam(
            "window_days",
            gettext_lazy("within (days)"),
            default=365,
            minimum=7,
            maximum=1830,
        ),
    )

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        since = self.now - timedelta(days=self.p["window_days"])
        first: dict[int, tuple[str, Any]] = {}
        changes = (
            RatingChange.objects.filter(
                accounts_q("account_id", account_ids), observed_at__gte=since
            )
            .order_by("account_id", "observed_at", "pk")
            .values_list("account_id", "from_rating", "observed_at")
        )
        for account_id, from_rating, observed_at in changes:
            first.setdefault(account_id, (from_rating, observed_at))
        if not first:
            return {}
        current = dict(
            Account.objects.filter(pk__in=list(first)).values_list("pk", "credit_rating")
        )
        found: dict[int, Evidence] = {}
        for account_id, (start, since_at) in first.items():
            now_rating = current.get(account_id, "")
            if not start or not now_rating:
                continue
            notches = CreditRating.rank(now_rating) - CreditRating.rank(start)
            if notches >= self.p["notches"]:
                found[account_id] = {
                    "from_rating": start,
                    "to_rating": now_rating,
                    "notches": notches,
                    "since": timezone.localdate(since_at).isoformat(),
                }
        return found

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        return _(
            "Internal rating %(from)s → %(to)s (%(n)s notches down, observed on %(since)s)"
        ) % {
            "from": evidence.get("from_rating"),
            "to": evidence.get("to_rating"),
            "n": evidence.get("notches"),
            "since": evidence.get("since"),
        }


@register
class NegativeEsgEvent(RuleType):
    code = "esg_event"
    label = gettext_lazy("Negative ESG event")
    description = gettext_lazy(
        "An open (not yet closed) negative environmental, social or governance event of at "
        "least a severity occurred within a window of days."
    )
    params = (
        ChoiceParam(
            "min_severity",
            gettext_lazy("at least this severe"),
            default=int(EsgSeverity.MODERATE),
            choices=lambda: EsgSeverity.choices,
        ),
        IntParam(
            "window_days",
            gettext_lazy("occurred within (days)"),
            default=365,
            minimum=1,
            maximum=1830,
        ),
    )

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        rows = (
            EsgEvent.objects.filter(
                accounts_q("account_id", account_ids),
                closed_on__isnull=True,
                severity__gte=int(self.p["min_severity"]),
                occurred_on__gte=self.today - timedelta(days=self.p["window_days"]),
            )
            .order_by("account_id", "-severity", "-occurred_on", "pk")
            .values_list("account_id", "pk", "title", "category", "severity", "occurred_on")
        )
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for account_id, pk, title, category, severity, occurred_on in rows:
            found[account_id].append(
                {
                    "event_id": pk,
                    "title": title,
                    "category": category,
                    "severity": severity,
                    "occurred_on": occurred_on.isoformat(),
                }
            )
        return {account_id: {"events": events} for account_id, events in found.items()}

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        labels = dict(EsgSeverity.choices)
        return "; ".join(
            _("%(title)s (%(severity)s, %(date)s)")
            % {
                "title": e["title"],
                "severity": labels.get(e["severity"], e["severity"]),
                "date": e["occurred_on"],
            }
            for e in evidence.get("events", [])
        )


@register
class ManualAlert(RuleType):
    """Alerts of this type are raised by people (any account-team member or a risk officer);
    the scan never raises or resolves them. The rule row sets their default severity."""

    code = "manual"
    label = gettext_lazy("Manual alert")
    description = gettext_lazy(
        "A concern raised by a member of the account team or a risk officer; closed by people, "
        "never by the scan."
    )
    scanned = False

"""The E&S rule: an ESAP item still to do past its due date (plus a grace period).

An item belongs to a project; the alert goes to the project's lead account (whose book the
project is managed in) and to each account that borrows under one of the project's facilities
with exposure (``Facility.borrower``, drawn + undrawn > 0): the obligors whose loans the
action plan is a condition of. A party in the role "borrower" that borrows nothing from us,
or whose facility is repaid, is not alerted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Facility
from esg.choices import OPEN_ITEM_STATUSES
from esg.models import EsapItem

from .registry import Evidence, IntParam, RuleType, accounts_q, register

# The items one alert lists: the most overdue first; the count says how many there are.
EVIDENCE_ITEMS = 10


@register
class OverdueEsapItem(RuleType):
    code = "esap_item_overdue"
    label = gettext_lazy("Overdue ESAP item")
    description = gettext_lazy(
        "An item of a project's E&S action plan (ESAP) is still open or in progress more than "
        "a grace period after its due date. Raised on the project's lead account and on the "
        "accounts that borrow under its facilities."
    )
    params = (
        IntParam(
            "grace_days",
            gettext_lazy("grace period (days)"),
            gettext_lazy("Days after the due date before an item still to do raises an alert."),
            default=0,
            minimum=0,
            maximum=365,
        ),
    )

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        cutoff = self.today - timedelta(days=self.p["grace_days"])
        fields = ("pk", "project_id", "project__name", "action", "standard", "due_date")
        # Two queries whatever the chunk's size, each starting from the open items past the
        # cutoff (a partial index): the projects led by the chunk's accounts, and those where
        # one of them borrows under a facility with exposure (one row per facility and item:
        # the items are keyed by id below).
        led = EsapItem.objects.filter(
            accounts_q("project__account_id", account_ids),
            status__in=OPEN_ITEM_STATUSES,
            due_date__lt=cutoff,
        ).values_list("project__account_id", *fields)
        borrowed = Facility.objects.filter(
            accounts_q("borrower_id", account_ids),
            exposure__gt=0,
            project__esap_items__status__in=OPEN_ITEM_STATUSES,
            project__esap_items__due_date__lt=cutoff,
        ).values_list(
            "borrower_id",
            "project__esap_items__pk",
            "project_id",
            "project__name",
            "project__esap_items__action",
            "project__esap_items__standard",
            "project__esap_items__due_date",
        )
        found: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for account_id, pk, project_id, project, action, standard, due in [
            *led.order_by(),
            *borrowed.order_by(),
        ]:
            found[account_id][pk] = {
                "item_id": pk,
                "project_id": project_id,
                "project": project,
                "action": action,
                "standard": standard,
                "due_date": due.isoformat(),
                "days_overdue": (self.today - due).days,
            }
        evidence: dict[int, Evidence] = {}
        for account_id, by_item in found.items():
            items = sorted(by_item.values(), key=lambda i: (-i["days_overdue"], i["item_id"]))
            evidence[account_id] = {"count": len(items), "items": items[:EVIDENCE_ITEMS]}
        return evidence

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        parts = [
            _("%(project)s: “%(action)s” due %(due)s (%(days)s days overdue)")
            % {
                "project": i["project"],
                "action": i["action"],
                "due": i["due_date"],
                "days": i["days_overdue"],
            }
            for i in evidence.get("items", [])
        ]
        more = int(evidence.get("count", len(parts))) - len(parts)
        if more > 0:
            parts.append(_("and %(n)s more") % {"n": more})
        return "; ".join(parts)

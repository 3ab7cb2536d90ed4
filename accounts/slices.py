"""A slice of the book — team, region, tier, sector — as one set of conditions on accounts,
written once (``account_slice_q``) and applied the same way by the dashboards and by the lists
their figures link to (accounts, service requests, alerts), so a figure and its list count the
same rows. ``AccountSliceForm`` reads it from a drill-down link; unknown values are ignored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q

from .choices import Region, Sector, Tier
from .models import Project, ProjectParty


def account_slice_q(
    *,
    team_id: int | None = None,
    region: str = "",
    tier: str = "",
    sector: str = "",
    prefix: str = "",
) -> Q:
    """Accounts (reached through ``prefix``, e.g. ``"account__"``) of a team, region and tier,
    involved in a project of a sector. The sector is a property of projects: an account is
    in it when it leads such a project or is a party to one in any role (a sponsor, the
    borrower, a contractor...)."""
    condition = Q()
    if team_id is not None:
        condition &= Q(**{f"{prefix}team_id": team_id})
    if region:
        condition &= Q(**{f"{prefix}region": region})
    if tier:
        condition &= Q(**{f"{prefix}tier": tier})
    if sector:
        outer = f"{prefix[:-2]}_id" if prefix else "pk"
        condition &= Q(
            Exists(Project.objects.filter(account_id=OuterRef(outer), sector=sector))
        ) | Q(
            Exists(ProjectParty.objects.filter(account_id=OuterRef(outer), project__sector=sector))
        )
    return condition


class AccountSliceForm(forms.Form):
    """The slice as the request and alert lists read it from a drill-down link (and an
    ``account``, for "the alerts of this account"). Unknown values are ignored."""

    team = forms.IntegerField(required=False, min_value=1)
    region = forms.ChoiceField(choices=Region.choices, required=False)
    account_tier = forms.ChoiceField(choices=Tier.choices, required=False)
    sector = forms.ChoiceField(choices=Sector.choices, required=False)
    account = forms.IntegerField(required=False, min_value=1)

    def slice_q(self, prefix: str = "account__") -> Q:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        condition = account_slice_q(
            team_id=data.get("team"),
            region=data.get("region") or "",
            tier=data.get("account_tier") or "",
            sector=data.get("sector") or "",
            prefix=prefix,
        )
        if data.get("account"):
            condition &= Q(**{f"{prefix}pk": data["account"]})
        return condition

    def applied(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors and v}

"""What a dashboard shows: whose accounts (the one door), which period, which slice.

The slice — team, region, tier, sector — is one set of conditions on accounts, written once
(``account_slice_q``) and applied the same way by the dashboards and by the lists the figures
link to (accounts, service requests, alerts), so a figure and its list count the same rows.

Bad input never fails a page: an unknown value, a period outside the choices or a team the
user may not read is dropped with a message saying so, and the rest of the filters apply.
A team lead who asks for another team's figures gets their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Region, Sector, Tier
from accounts.models import Account
from accounts.selectors import account_list_for_user
from accounts.slices import account_slice_q
from kam.models import Team, User
from kam.quarters import Quarter
from kam.roles import Role

TREND_QUARTERS = 8


# ---------------------------------------------------------------- the slice


def restrict(queryset: QuerySet[Any], accounts: QuerySet[Account], path: str) -> QuerySet[Any]:
    """``queryset`` limited to rows whose ``path`` account is in ``accounts``; nothing to do
    when the one door opened on every account (executives, risk): a semi-join with the whole
    table would filter nothing and cost a hash join."""
    if not accounts.query.has_filters():
        return queryset
    return queryset.filter(**{f"{path}__in": accounts.order_by().values("pk")})


def teams_for_user(user: User) -> QuerySet[Team]:
    """The teams whose figures ``user`` may ask for by name: every team for those who read all
    accounts, the teams they lead for team leads, none for RMs (their book is their scope)."""
    if user.is_portal_admin or user.reads_all_accounts:
        return Team.objects.order_by("name")
    if user.has_role(Role.TEAM_LEAD):
        return Team.objects.filter(lead=user).order_by("name")
    return Team.objects.none()


@dataclass(frozen=True)
class Scope:
    """The accounts behind a dashboard: the user's visible accounts, sliced."""

    user: User
    quarter: Quarter
    team: Team | None = None
    region: str = ""
    sector: str = ""
    tier: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_sliced(self) -> bool:
        return bool(self.team or self.region or self.sector or self.tier)

    def slice_q(self, prefix: str = "") -> Q:
        return account_slice_q(
            team_id=self.team.pk if self.team else None,
            region=self.region,
            tier=self.tier,
            sector=self.sector,
            prefix=prefix,
        )

    def visible(self) -> QuerySet[Account]:
        return account_list_for_user(user=self.user)

    def accounts(self) -> QuerySet[Account]:
        """The accounts in scope: visible to the user, then sliced."""
        return self.visible().filter(self.slice_q())

    def related(self, queryset: QuerySet[Any], path: str = "account") -> QuerySet[Any]:
        """Rows of another model (requests, alerts, projects, snapshots) whose account is in
        scope: the one door by semi-join (skipped when it is the whole table), the slice by
        join conditions."""
        return restrict(queryset, self.visible(), path).filter(self.slice_q(f"{path}__"))

    def related_q(self, path: str = "account") -> Q:
        """``related`` as a condition, to be combined with others (``|``): the one door by
        semi-join (nothing when it opens on every account), then the slice."""
        visible = self.visible()
        door = (
            Q(**{f"{path}__in": visible.order_by().values("pk")})
            if visible.query.has_filters()
            else Q()
        )
        return door & self.slice_q(f"{path}__")

    # Query parameters of the lists the figures link to.
    def account_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.team:
            params["team"] = str(self.team.pk)
        for name in ("region", "tier", "sector"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        return params

    def related_params(self) -> dict[str, str]:
        """The same slice on the request and alert lists (``account_tier``: the tier of the
        account now; a request's own ``tier`` is the tier it was opened under)."""
        params = self.account_params()
        if "tier" in params:
            params["account_tier"] = params.pop("tier")
        return params

    def filter_params(self) -> dict[str, str]:
        """The dashboard's own query string (for exports and the period links)."""
        params = self.account_params()
        params["period"] = self.quarter.slug
        return params


# ---------------------------------------------------------------- the dashboard's filters


def period_choices(today_quarter: Quarter, count: int = TREND_QUARTERS) -> list[tuple[str, str]]:
    quarters = [today_quarter]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return [(q.slug, str(q)) for q in quarters]


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Quarter"), required=False)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    region = forms.ChoiceField(
        label=gettext_lazy("Region"),
        choices=[("", gettext_lazy("All regions"))] + Region.choices,
        required=False,
    )
    sector = forms.ChoiceField(
        label=gettext_lazy("Project sector"),
        choices=[("", gettext_lazy("All sectors"))] + Sector.choices,
        required=False,
    )
    tier = forms.ChoiceField(
        label=gettext_lazy("Tier"),
        choices=[("", gettext_lazy("All tiers"))] + Tier.choices,
        required=False,
    )

    def __init__(
        self, data: Mapping[str, Any] | None, *, teams: list[Team], current: Quarter
    ) -> None:
        super().__init__(data)
        self.teams = {team.pk: team for team in teams}
        period, team = self.fields["period"], self.fields["team"]
        assert isinstance(period, forms.ChoiceField) and isinstance(team, forms.ChoiceField)
        period.choices = period_choices(current)
        team.choices = [("", gettext_lazy("All my teams"))] + [
            (str(team.pk), team.name) for team in teams
        ]


FIELD_LABELS = {
    "period": gettext_lazy("quarter"),
    "team": gettext_lazy("team"),
    "region": gettext_lazy("region"),
    "sector": gettext_lazy("sector"),
    "tier": gettext_lazy("tier"),
}


def scope_from_request(*, user: User, data: QueryDict | Mapping[str, Any]) -> tuple[Scope, Any]:
    """The scope a request asks for, and the bound form to show. Every field is checked on
    its own: a bad one is ignored with a note, the good ones apply."""
    current = Quarter.current()
    teams = list(teams_for_user(user))
    form = DashboardFilterForm(data or None, teams=teams, current=current)
    notes: list[str] = []
    cleaned: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        cleaned = dict(form.cleaned_data)
        for name in form.errors:
            if name == "team" and data.get("team"):
                notes.append(
                    _("You can see the figures of your own team only; showing those.")
                    if user.has_role(Role.TEAM_LEAD)
                    and not (user.reads_all_accounts or user.is_portal_admin)
                    else _("There is no team %(team)s among the teams you may see; ignored.")
                    % {"team": str(data.get("team"))[:40]}
                )
            elif name == "period":
                notes.append(
                    _(
                        "There are figures for the last %(count)s quarters only; "
                        "showing %(quarter)s instead of %(asked)s."
                    )
                    % {
                        "count": TREND_QUARTERS,
                        "quarter": str(current),
                        "asked": str(data.get("period"))[:20],
                    }
                )
            else:
                notes.append(
                    _("Unknown %(field)s “%(value)s” ignored.")
                    % {"field": FIELD_LABELS.get(name, name), "value": str(data.get(name))[:40]}
                )
    quarter = Quarter.parse(cleaned.get("period") or "") or current
    team_value = cleaned.get("team") or ""
    team = form.teams.get(int(team_value)) if team_value.isdigit() else None
    scope = Scope(
        user=user,
        quarter=quarter,
        team=team,
        region=cleaned.get("region") or "",
        sector=cleaned.get("sector") or "",
        tier=cleaned.get("tier") or "",
        notes=tuple(notes),
    )
    return scope, form

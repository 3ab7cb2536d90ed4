"""Rules over projects and exposure: project delay and concentration against capital."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import AccountType, ProjectStage
from accounts.exposure import fx_rates, in_cny
from accounts.models import Account, Facility, Project
from groups import concentration
from groups.models import CapitalBase, ClientGroup

from .registry import (
    ChoiceParam,
    DecimalParam,
    Evidence,
    IntParam,
    MultiChoiceParam,
    RuleCannotEvaluate,
    RuleType,
    accounts_q,
    register,
)

# The concentration rule's levels and tests.
BREACH, WARNING = "breach", "warning"
SINGLE, GROUP, LOANS = "single_client", "connected_group", "loans_one_borrower"
TEST_ORDER = (SINGLE, GROUP, LOANS)

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
    """Concentration against capital (``groups.concentration`` has the formulas): a single
    client's exposure and a connected group's against tier-1 net capital, a borrower's loans
    against net capital, each with its limit. A rule row raises either the breaches (a figure
    above its limit) or the warnings (a figure at or above ``warning_at_pct`` of its limit, and
    none above): keep one row of each, the breach with the higher severity.

    The connected groups are worked out once per scan (``prepare``); each chunk adds its
    accounts' own figures with one query. A connected group's alert goes to the top account
    of its unit with the most exposure.

    Without a capital base that applies (``as_of`` on or before today) the rule cannot judge:
    it raises ``RuleCannotEvaluate``, so the scan records why and keeps the rule's alerts as
    they are instead of resolving them (the system check ``client_groups.W001`` warns too)."""

    code = "exposure_concentration"
    label = gettext_lazy("Concentration against capital")
    description = gettext_lazy(
        "A single client's or a connected group's exposure (drawn, undrawn commitments and "
        "guarantees, in CNY) above a share of tier-1 net capital, or a borrower's loans above "
        "a share of net capital (the latest capital base in the admin)."
    )
    params = (
        ChoiceParam(
            "level",
            gettext_lazy("raise"),
            gettext_lazy("breach: a figure above its limit; warning: near it, none above."),
            choices=lambda: [
                (BREACH, gettext_lazy("breaches")),
                (WARNING, gettext_lazy("warnings")),
            ],
            default=BREACH,
        ),
        DecimalParam(
            "single_client_pct",
            gettext_lazy("single client: limit, per cent of tier-1 net capital"),
            default=str(concentration.SINGLE_CLIENT_LIMIT_PCT),
            minimum=Decimal("0.01"),
            maximum=Decimal("100"),
        ),
        DecimalParam(
            "group_pct",
            gettext_lazy("connected group: limit, per cent of tier-1 net capital"),
            default=str(concentration.GROUP_LIMIT_PCT),
            minimum=Decimal("0.01"),
            maximum=Decimal("100"),
        ),
        DecimalParam(
            "loans_pct",
            gettext_lazy("loans to one borrower: limit, per cent of net capital"),
            default=str(concentration.LOANS_LIMIT_PCT),
            minimum=Decimal("0.01"),
            maximum=Decimal("100"),
        ),
        ChoiceParam(
            "loans_measure",
            gettext_lazy("loans counted"),
            gettext_lazy("drawn: the loan balance; exposure: drawn and undrawn."),
            choices=lambda: [
                ("drawn", gettext_lazy("drawn (loan balance)")),
                ("exposure", gettext_lazy("drawn and undrawn")),
            ],
            default="drawn",
        ),
        DecimalParam(
            "warning_at_pct",
            gettext_lazy("warn from, per cent of the limit"),
            default=str(concentration.WARNING_AT_PCT),
            minimum=Decimal("1"),
            maximum=Decimal("100"),
        ),
    )

    def _limits(self) -> dict[str, Decimal]:
        return {
            SINGLE: Decimal(self.p["single_client_pct"]),
            GROUP: Decimal(self.p["group_pct"]),
            LOANS: Decimal(self.p["loans_pct"]),
        }

    def _judge(self, test: str, amount: Decimal, base: Decimal) -> tuple[str, Evidence] | None:
        """The test's figures and whether they breach or warn (None: neither)."""
        limit = self._limits()[test]
        share = concentration.share_pct(amount, base)
        of_limit = (share / limit * 100).quantize(Decimal("0.1"))
        if share > limit:
            level = BREACH
        elif of_limit >= Decimal(self.p["warning_at_pct"]):
            level = WARNING
        else:
            return None
        return level, {
            "test": test,
            "level": level,
            "amount_cny": str(amount.quantize(Decimal("1"))),
            "base": "net_capital" if test == LOANS else "tier1_net_capital",
            "base_cny": str(base.quantize(Decimal("1"))),
            "share_pct": str(share),
            "limit_pct": str(limit),
            "of_limit_pct": str(of_limit),
        }

    def prepare(self) -> dict[str, Any]:
        capital = CapitalBase.current(on=self.today)
        if capital is None:
            return {"capital": None}
        rates = fx_rates()
        tier1 = capital.tier1_net_capital
        groups: dict[str, Evidence] = {}
        flagged: list[tuple[concentration.ConnectedGroup, str, Evidence]] = []
        for group in concentration.connected_groups(rates):
            judged = self._judge(GROUP, group.total_cny, tier1)
            if judged is not None:
                flagged.append((group, *judged))
        group_ids = {u[1] for g, _l, _t in flagged for u in g.units if u[0] == "g"}
        single_ids = {u[1] for g, _l, _t in flagged for u in g.units if u[0] == "a"}
        heads = {
            pk: (parent_id, name_en or name_zh, members)
            for pk, parent_id, name_en, name_zh, members in ClientGroup.objects.filter(
                pk__in=sorted(group_ids)
            )
            .annotate(members=Count("memberships"))
            .values_list("pk", "parent_id", "name_en", "name_zh", "members")
        }
        names = {
            pk: name_en or name_zh
            for pk, name_en, name_zh in Account.objects.filter(
                pk__in=sorted(single_ids)
            ).values_list("pk", "legal_name_en", "legal_name_zh")
        }
        for group, _level, test in flagged:
            kind, key = group.largest
            anchor = heads[key][0] if kind == "g" else key
            units = [
                {
                    "kind": "group" if kind_ == "g" else "account",
                    "id": key_,
                    "name": heads[key_][1] if kind_ == "g" else names.get(key_, ""),
                    "exposure_cny": str(group.exposure[(kind_, key_)].quantize(Decimal("1"))),
                }
                for kind_, key_ in group.units
            ]
            # The ten largest units name the group; the count says how many there are.
            test["units"] = sorted(units, key=lambda u: -Decimal(u["exposure_cny"]))[:10]
            test["units_total"] = len(units)
            test["accounts"] = sum(
                heads[key_][2] if kind_ == "g" else 1 for kind_, key_ in group.units
            )
            test["unconverted"] = sorted(group.unconverted)
            groups[str(anchor)] = test
        return {
            "capital": {
                "as_of": capital.as_of.isoformat(),
                "tier1_net_capital": str(capital.tier1_net_capital),
                "net_capital": str(capital.net_capital),
            },
            "rates": {currency: str(rate) for currency, rate in rates.items()},
            "groups": groups,
        }

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        context = self.context or self.prepare()
        capital = context.get("capital")
        if not capital:
            # Nothing to measure against: an empty result would resolve every alert.
            raise RuleCannotEvaluate(
                _(
                    "No capital base applies on %(date)s (admin: capital bases): concentration "
                    "against capital was not measured; its alerts are kept as they were."
                )
                % {"date": self.today.isoformat()}
            )
        tier1 = Decimal(capital["tier1_net_capital"])
        net = Decimal(capital["net_capital"])
        rates = {currency: Decimal(rate) for currency, rate in context["rates"].items()}
        loans_field = "drawn" if self.p["loans_measure"] == "drawn" else "exposure"
        rows = (
            Facility.objects.filter(accounts_q("borrower_id", account_ids), exposure__gt=0)
            .order_by()
            .values("borrower_id", "borrower__account_type", "currency")
            .annotate(
                total=Sum("exposure"),
                loans=Sum(loans_field, filter=Q(kind__in=concentration.LOAN_KINDS)),
            )
            .values_list("borrower_id", "borrower__account_type", "currency", "total", "loans")
        )
        exposure: dict[int, dict[str, Decimal]] = defaultdict(dict)
        loans: dict[int, dict[str, Decimal]] = defaultdict(dict)
        banks: set[int] = set()
        for borrower_id, account_type, currency, total, loan in rows:
            exposure[borrower_id][currency] = total or Decimal(0)
            loans[borrower_id][currency] = loan or Decimal(0)
            if account_type == AccountType.CO_LENDER:
                banks.add(borrower_id)
        tests: dict[int, list[tuple[str, Evidence]]] = defaultdict(list)
        for borrower_id, amounts in exposure.items():
            if borrower_id not in banks:  # the non-bank limit; interbank is not measured here
                judged = self._judge(SINGLE, in_cny(amounts, rates), tier1)
                if judged:
                    tests[borrower_id].append(judged)
            judged = self._judge(LOANS, in_cny(loans[borrower_id], rates), net)
            if judged:
                tests[borrower_id].append(judged)
        wanted = set(account_ids)
        for anchor, test in context.get("groups", {}).items():
            if int(anchor) in wanted:
                tests[int(anchor)].append((test["level"], test))
        found: dict[int, Evidence] = {}
        for account_id, judged_tests in tests.items():
            if account_id not in wanted:
                continue
            breaches = [t for level, t in judged_tests if level == BREACH]
            shown = breaches if self.p["level"] == BREACH else []
            if self.p["level"] == WARNING and not breaches:
                shown = [t for level, t in judged_tests if level == WARNING]
            if not shown:
                continue
            unconverted = sorted(
                {c for c in exposure.get(account_id, {}) if c not in rates}
                | {c for t in shown for c in t.get("unconverted", [])}
            )
            found[account_id] = {
                "level": self.p["level"],
                "capital_as_of": capital["as_of"],
                "tests": sorted(shown, key=lambda t: TEST_ORDER.index(t["test"])),
                "unconverted": unconverted,
            }
        return found

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        if "tests" not in evidence and "share_pct" in evidence:
            return cls._summarize_portfolio_share(evidence)
        parts = []
        for test in evidence.get("tests", []):
            values = {
                "amount": f"{Decimal(test['amount_cny']):,.0f}",
                "share": test["share_pct"],
                "limit": test["limit_pct"],
                "of_limit": test["of_limit_pct"],
                "base": f"{Decimal(test['base_cny']):,.0f}",
            }
            if test["test"] == SINGLE:
                text = _(
                    "Single client: exposure CNY %(amount)s is %(share)s%% of tier-1 net "
                    "capital CNY %(base)s (limit %(limit)s%%, %(of_limit)s%% of the limit used)"
                )
            elif test["test"] == LOANS:
                text = _(
                    "Loans to one borrower: CNY %(amount)s is %(share)s%% of net capital "
                    "CNY %(base)s (limit %(limit)s%%, %(of_limit)s%% of the limit used)"
                )
            else:
                values["units"] = ", ".join(u["name"] for u in test.get("units", []))
                values["accounts"] = test.get("accounts", 0)
                text = _(
                    "Connected group (%(units)s; %(accounts)s accounts): exposure CNY "
                    "%(amount)s is %(share)s%% of tier-1 net capital CNY %(base)s (limit "
                    "%(limit)s%%, %(of_limit)s%% of the limit used)"
                )
            parts.append(text % values)
        text = "; ".join(parts)
        if evidence.get("capital_as_of"):
            text += " " + _("(capital as of %(date)s)") % {"date": evidence["capital_as_of"]}
        if evidence.get("unconverted"):
            text += " " + _("(no FX rate for %(currencies)s)") % {
                "currencies": ", ".join(evidence["unconverted"])
            }
        return text

    @staticmethod
    def _summarize_portfolio_share(evidence: Mapping[str, Any]) -> str:
        """Evidence written before concentration was measured against capital: an account's
        outstanding exposure as a share of the whole portfolio's (alerts raised then keep it
        until the scan next refreshes or resolves them)."""

        def amount(key: str) -> str:
            try:
                return f"{Decimal(str(evidence.get(key) or 0)):,.0f}"
            except (ArithmeticError, ValueError):
                return str(evidence.get(key))

        text = _(
            "%(share)s%% of the portfolio's outstanding exposure (CNY %(amount)s of "
            "%(portfolio)s; limit %(limit)s%%)"
        ) % {
            "share": evidence.get("share_pct"),
            "amount": amount("outstanding_cny"),
            "portfolio": amount("portfolio_cny"),
            "limit": evidence.get("limit_pct", "—"),
        }
        if evidence.get("unconverted"):
            text += " " + _("(no FX rate for %(currencies)s)") % {
                "currencies": ", ".join(evidence["unconverted"])
            }
        return text

    @classmethod
    def title(cls, evidence: Mapping[str, Any]) -> str:
        if evidence.get("level") == WARNING:
            return _("Concentration near its limit")
        return _("Concentration above its limit")

"""The book, across every capability: the RM home (what is waiting today, from every app)
and the account list with its drill-down filters and exports. Accounts are read through the
one door (accounts.selectors); the page is computed on every request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import F, Field, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import selectors
from accounts.choices import AccountStatus, AccountType, Industry, Region, Tier
from accounts.models import Account
from accounts.tiering.selectors import home_tiering
from interactions.selectors.interactions import home_relationship
from interactions.selectors.service import service_home_for_user
from kam.exports import check_format, export_response, filters_of
from kam.http import request_user
from kam.model_mixins import choice_labels
from kam.models import User, person_name
from kam.templatetags.kam_ui import FilterSidebar
from risk.selectors import alerts_for_home, risk_level_label, with_risk_level

from .filters import AccountFilter
from .home import home_reviews_missing

PAGE_SIZE = 25
HOME_ACCOUNTS = 10  # the RM home's accounts most at risk or longest without contact


def _home_data(user: User) -> dict[str, Any]:
    """Everything the RM home shows, gathered from the apps that own it."""
    visible = selectors.account_list_for_user(user=user)
    # Most at risk first, then the longest without a meaningful contact.
    mine = (
        with_risk_level(visible.filter(owner=user))
        .select_related("contact_stats")
        .only(*selectors.ACCOUNT_ROW_FIELDS, "contact_stats__last_meaningful_at")
    )
    mine = mine.order_by(
        "-risk_level", F("contact_stats__last_meaningful_at").asc(nulls_first=True), "pk"
    )[:HOME_ACCOUNTS]
    policies = selectors.tier_policies()  # read once for every section that asks
    return {
        "my_accounts": list(mine),
        "my_account_count": len(selectors.owned_account_ids(user=user)),
        "relationship": home_relationship(user=user, policies=policies),
        "service": service_home_for_user(user=user),
        "tiering_home": home_tiering(user=user, policies=policies),
        "risk_home": alerts_for_home(user=user),
        "reviews_missing": home_reviews_missing(user=user, policies=policies),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", _home_data(request_user(request)))


def _visible_accounts(user: User) -> QuerySet[Account]:
    return with_risk_level(selectors.account_list_for_user(user=user)).select_related(
        "owner", "team", "current_score"
    )


def _filtered_accounts(request: HttpRequest, user: User) -> tuple[AccountFilter, QuerySet[Account]]:
    """The visible accounts with the user's filters: the list and its exports share them."""
    queryset = _visible_accounts(user)
    account_filter = AccountFilter(request.GET, queryset=queryset, request=request)
    accounts = account_filter.qs if account_filter.is_valid() else queryset.none()
    return account_filter, accounts


def _filters_given(request: HttpRequest) -> bool:
    """Whether the query string sets any of the list's filters (a page number is not one)."""
    return any(value for name in AccountFilter.base_filters for value in request.GET.getlist(name))


# What a row of the list shows, read as values: 25 rows with their owner and score would
# otherwise build 75 model instances on every view of the page.
_LIST_VALUES = (
    "pk",
    "legal_name_en",
    "legal_name_zh",
    "uscc",
    "tier",
    "status",
    "industry",
    "region",
    "updated_at",
    "risk_level",
    "current_score__score",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
)


def _list_rows(accounts: QuerySet[Account]) -> list[dict[str, Any]]:
    """The list's rows as plain values: the page renders 25 of them on every view, and a
    dictionary lookup costs the template a fraction of a method call and a filter."""
    base = reverse("accounts:detail", args=[0]).removesuffix("0/")
    labels = {name: choice_labels(_choice_field(name)) for name in _LABELLED}
    rows = []
    for values in accounts.values(*_LIST_VALUES):
        score = values["current_score__score"]
        updated = timezone.localtime(values["updated_at"])
        name_en, name_zh = values["legal_name_en"], values["legal_name_zh"]
        rows.append(
            {
                "pk": values["pk"],
                "url": f"{base}{values['pk']}/",
                "name": name_en or name_zh,
                "name_zh": name_zh if name_en else "",
                "uscc": values["uscc"],
                "tier": values["tier"],
                "tier_label": labels["tier"].get(values["tier"], values["tier"]),
                "score": None if score is None else f"{score:.1f}",
                "risk_level": values["risk_level"],
                "status": values["status"],
                "status_label": labels["status"].get(values["status"], values["status"]),
                "industry": labels["industry"].get(values["industry"], values["industry"]),
                "region": labels["region"].get(values["region"], values["region"]),
                "owner": person_name(
                    values["owner__username"],
                    values["owner__first_name"],
                    values["owner__last_name"],
                ),
                "updated_iso": updated.isoformat(),
                "updated": updated.date().isoformat(),
            }
        )
    return rows


_LABELLED = ("tier", "status", "industry", "region")


def _choice_field(name: str) -> Field:
    field = Account._meta.get_field(name)
    assert isinstance(field, Field)  # a concrete column, not a relation
    return field


# The filters folded under "More filters": the fold opens when one of them is set.
_MORE_FILTERS = (
    "team",
    "risk",
    "cadence",
    "review",
    "quarter",
    "sector",
    "project_region",
    "green",
    "equator",
    "has_projects",
    "borrows",
    "loan_class",
)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)

    errors: Any = {}
    if _filters_given(request):
        account_filter, accounts = _filtered_accounts(request, user)
        errors = account_filter.errors
    else:
        # Nothing to filter, the most common view: the book in its default order.
        accounts = _visible_accounts(user)
    # The sidebar is drawn from the query string (with the form's errors when it filtered).
    sidebar = FilterSidebar(AccountFilter, request.GET, request, errors)
    drawn = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    assert isinstance(drawn.object_list, QuerySet)  # a page of a queryset is its slice
    rows = _list_rows(drawn.object_list)
    # The pager over the rows drawn: a page of row dicts on the accounts' paginator (a Page
    # reads only the count and the page size from it), hence Any for the item type.
    page: Page[Any] = Page(rows, drawn.number, drawn.paginator)
    return render(
        request,
        "dashboard/account_list.html",
        {
            "sidebar": sidebar,
            "more_filters_given": sidebar.given(_MORE_FILTERS),
            "filter_errors": bool(errors),
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_create": selectors.user_can_create_accounts(user=user),
        },
    )


EXPORT_COLUMNS: tuple[tuple[Any, str], ...] = (
    (gettext_lazy("Account"), "legal_name_en"),
    (gettext_lazy("Account (Chinese)"), "legal_name_zh"),
    (gettext_lazy("Credit code"), "uscc"),
    (gettext_lazy("Type"), "account_type"),
    (gettext_lazy("Tier"), "tier"),
    (gettext_lazy("Status"), "status"),
    (gettext_lazy("Industry"), "industry"),
    (gettext_lazy("Region"), "region"),
    (gettext_lazy("Owner RM"), "owner__username"),
    (gettext_lazy("Team"), "team__name"),
    (gettext_lazy("Risk level"), "risk_level"),
    (gettext_lazy("Score"), "current_score__score"),
    (gettext_lazy("Internal credit rating"), "credit_rating"),
    (gettext_lazy("ESG rating"), "esg_rating"),
    (gettext_lazy("Last changed"), "updated_at"),
)
# What those columns are (kam.data_levels): the export's data-security level.
EXPORT_DATA = ("account.name", "account.uscc", "account.profile", "account.ratings", "user.name")


@login_required
def account_list_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The account list as filtered, every page, as CSV or Excel: never an account the user
    cannot open (the one door), and logged."""
    check_format(fmt)
    user = request_user(request)
    account_filter, accounts = _filtered_accounts(request, user)
    paths = [path for _header, path in EXPORT_COLUMNS]
    labels = {
        "account_type": dict(AccountType.choices),
        "tier": dict(Tier.choices),
        "status": dict(AccountStatus.choices),
        "industry": dict(Industry.choices),
        "region": dict(Region.choices),
    }

    def rows() -> Iterator[list[Any]]:
        for values in accounts.order_by("legal_name_en", "pk").values(*paths).iterator(2000):
            for name, choices in labels.items():
                values[name] = choices.get(values[name], values[name])
            values["risk_level"] = risk_level_label(values["risk_level"] or 0)
            yield [values[path] for path in paths]

    applied = filters_of(account_filter.form.cleaned_data) if account_filter.is_valid() else {}
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name="accounts",
        what="Accounts",
        headers=[header for header, _path in EXPORT_COLUMNS],
        rows=rows(),
        fields=EXPORT_DATA,
        count=accounts.count(),
        filters=applied,
    )

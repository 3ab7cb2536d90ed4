"""Account pages. Every view reaches accounts through accounts.selectors (404 when not
yours, 403 when you may only read); writes go through accounts.services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from interactions.selectors.interactions import home_relationship
from interactions.selectors.service import service_home_for_user
from kam.dashboard.home import home_reviews_missing
from kam.exports import check_format, export_response, filters_of
from kam.model_mixins import choice_labels
from kam.models import User, person_name
from kam.roles import Role
from risk.selectors import alerts_for_home, risk_level_label, with_risk_level

from . import selectors, services
from .choices import AccountStatus, AccountType, Industry, Region, Tier
from .filters import AccountFilter
from .forms import AccountForm, ContactForm, ProjectForm
from .models import Account, AccountMembership, Contact, Project
from .models.core import exposure_by_currency
from .tiering_selectors import TIERING_RELATED, home_tiering

PAGE_SIZE = 25
HOME_ACCOUNTS = 10  # the RM home's accounts most at risk or longest without contact


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _can_create_accounts(user: User) -> bool:
    return user.is_portal_admin or user.has_role(Role.RM, Role.TEAM_LEAD)


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
    return {
        "my_accounts": list(mine),
        "my_account_count": len(selectors.owned_account_ids(user=user)),
        "relationship": home_relationship(user=user),
        "service": service_home_for_user(user=user),
        "tiering_home": home_tiering(user=user),
        "risk_home": alerts_for_home(user=user),
        "reviews_missing": home_reviews_missing(user=user),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", _home_data(_user(request)))


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
    labels = {name: choice_labels(Account._meta.get_field(name)) for name in _LABELLED}
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


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)

    if _filters_given(request):
        account_filter, accounts = _filtered_accounts(request, user)
        invalid = bool(account_filter.errors)
    else:
        # Nothing to filter, the most common view: the book in its default order.
        account_filter = AccountFilter(
            request.GET, queryset=_visible_accounts(user), request=request
        )
        accounts, invalid = _visible_accounts(user), False
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = _list_rows(page.object_list)  # type: ignore[arg-type]
    page = Page(rows, page.number, page.paginator)  # the pager over the rows drawn
    return render(
        request,
        "accounts/account_list.html",
        {
            "filter": account_filter,
            "filter_errors": invalid,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_create": _can_create_accounts(user),
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


@login_required
def account_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The account list as filtered, every page, as CSV or Excel: never an account the user
    cannot open (the one door), and logged."""
    check_format(fmt)
    user = _user(request)
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
        count=accounts.count(),
        filters=applied,
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    # Read with the account what its panels show of it: its score and plan (tiering) and
    # its contact statistics (relationship).
    account = selectors.account_get_for_user(
        user=user, pk=pk, related=(*TIERING_RELATED, "contact_stats")
    )
    page = _account_page(account)
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            **page,
            "can_edit": selectors.account_is_writable(user=user, account=account),
        },
    )


def _account_page(account: Account) -> dict[str, Any]:
    projects = list(account.projects.all())
    # Most accounts have no account team beyond the owner: prefetching the users costs
    # those pages no query at all.
    memberships = AccountMembership.objects.filter(account=account).prefetch_related("user")
    return {
        "contacts": [_contact_row(contact) for contact in account.contacts.all()],
        "projects": projects,
        "exposure": exposure_by_currency(projects),
        "team_rows": [(m.user.short_name, m.get_role_display()) for m in memberships],
    }


def _contact_row(contact: Contact) -> dict[str, Any]:
    """What the page shows of a contact: personal data masked only (the team reveals a value
    by a logged request)."""
    return {
        "pk": contact.pk,
        "name": contact.name,
        "is_primary": contact.is_primary,
        "title": contact.title,
        "seniority": contact.get_seniority_display(),
        "influence": contact.get_influence_display(),
        "attitude": contact.attitude,
        "attitude_label": contact.get_attitude_display(),
        "channels": contact.channel_preference_labels,
        # Each personal value masked, with the field the team may reveal it by.
        "pii": [("phone", contact.masked_phone), ("email", contact.masked_email)],
    }


@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not _can_create_accounts(user):
        raise PermissionDenied(_("Your role cannot create accounts."))
    form = AccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        owner = data.pop("owner")
        account = services.account_create(owner=owner, **data)
        messages.success(request, _("Account created."))
        return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, write=True)
    form = AccountForm(request.POST or None, instance=account, user=user)
    if request.method == "POST" and form.is_valid():
        services.account_update(account=account, **form.cleaned_data)
        messages.success(request, _("Account saved."))
        return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


def _contact_form(request: HttpRequest, account: Account, contact: Contact | None) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact or Contact(account=account))
    if request.method == "POST" and form.is_valid():
        services.contact_save(contact=form.instance)
        messages.success(request, _("Contact saved."))
        return redirect(account)
    return render(
        request,
        "accounts/contact_form.html",
        {"form": form, "account": account, "contact": contact},
    )


@login_required
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(user=_user(request), pk=pk, write=True)
    return _contact_form(request, account, None)


@login_required
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(user=_user(request), pk=pk, write=True)
    contact = selectors.contact_get_for_account(account=account, pk=contact_pk)
    return _contact_form(request, account, contact)


@login_required
@require_POST
def contact_reveal(request: HttpRequest, pk: int, contact_pk: int, field: str) -> HttpResponse:
    """Show one contact's full phone or e-mail: a deliberate, logged act of the account team."""
    if field not in services.REVEALABLE_FIELDS:
        raise Http404("Nothing to reveal there.")
    user = _user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, write=True)
    contact = selectors.contact_get_for_account(account=account, pk=contact_pk)
    value = services.contact_reveal(user=user, contact=contact, field=field, request=request)
    context = {"account": account, "contact": contact, "field": field, "value": value}
    if request.headers.get("HX-Request"):
        return render(request, "accounts/_revealed.html", context)
    return render(request, "accounts/contact_reveal.html", context)


def _project_form(request: HttpRequest, account: Account, project: Project | None) -> HttpResponse:
    form = ProjectForm(request.POST or None, instance=project or Project(account=account))
    if request.method == "POST" and form.is_valid():
        services.project_save(project=form.instance)
        messages.success(request, _("Project saved."))
        return redirect(account)
    return render(
        request,
        "accounts/project_form.html",
        {"form": form, "account": account, "project": project},
    )


@login_required
def project_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(user=_user(request), pk=pk, write=True)
    return _project_form(request, account, None)


@login_required
def project_edit(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(user=_user(request), pk=pk, write=True)
    project = selectors.project_get_for_account(account=account, pk=project_pk)
    return _project_form(request, account, project)

"""Account pages. Every view reaches accounts through accounts.selectors (404 when not
yours, 403 when you may only read); writes go through accounts.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interactions.selectors.interactions import home_relationship
from interactions.selectors.service import service_home_for_user
from kam.models import User
from kam.roles import Role
from risk.selectors import alerts_for_home, with_risk_level

from . import selectors, services
from .choices import Tier
from .filters import AccountFilter
from .forms import AccountForm, ContactForm, ProjectForm
from .models import Account, AccountMembership, Contact, Project
from .tiering_selectors import home_tiering

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _can_create_accounts(user: User) -> bool:
    return user.is_portal_admin or user.has_role(Role.RM, Role.TEAM_LEAD)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    visible = selectors.account_list_for_user(user=user)
    mine = with_risk_level(visible.filter(owner=user)).select_related("owner")
    mine = mine.order_by("-updated_at")[:PAGE_SIZE]
    tier_counts = dict(
        visible.order_by().values_list("tier").annotate(n=Count("pk")).values_list("tier", "n")
    )
    by_tier = [(value, label, tier_counts.get(value, 0)) for value, label in Tier.choices]
    return render(
        request,
        "accounts/home.html",
        {
            "my_accounts": mine,
            "my_account_count": visible.filter(owner=user).count(),
            "by_tier": by_tier,
            "visible_count": sum(tier_counts.values()),
            "relationship": home_relationship(user=user),
            "tiering_home": home_tiering(user=user),
            "service": service_home_for_user(user=user),
            "risk_home": alerts_for_home(user=user),
        },
    )


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queryset = with_risk_level(selectors.account_list_for_user(user=user)).select_related(
        "owner", "team", "current_score"
    )
    account_filter = AccountFilter(request.GET, queryset=queryset, request=request)
    accounts = account_filter.qs if account_filter.is_valid() else queryset.none()
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/account_list.html",
        {
            "filter": account_filter,
            "page": page,
            "query": query.urlencode(),
            "can_create": _can_create_accounts(user),
        },
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    contacts = list(account.contacts.all())
    projects = list(account.projects.all())
    memberships = list(AccountMembership.objects.filter(account=account).select_related("user"))
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "contacts": contacts,
            "projects": projects,
            "exposure": account.projects.exposure_by_currency(),
            "memberships": memberships,
            "can_edit": selectors.account_is_writable(user=user, account=account),
        },
    )


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

"""Account pages. Every view reaches accounts through accounts.selectors (404 when not
yours, 403 when you may only read); writes go through accounts.services. The list of the
book, with the figures of every capability on it, is the dashboard app's (dashboard.book)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, FilteredRelation, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kam.forms import add_service_errors
from kam.http import request_user
from kam.links import link
from kam.models import User

from . import selectors, services
from .choices import MAINLAND_REGIONS, PartyRole
from .exposure import fx_rates, summarize_queryset
from .forms import AccountForm, ContactForm, HandoverForm
from .models import (
    Account,
    AccountHandover,
    AccountMembership,
    Contact,
    HandoverStatus,
    Project,
    ProjectParty,
)
from .rights import Right
from .tiering.selectors import TIERING_RELATED, TIERING_UNSHOWN

PAGE_SIZE = 25


@never_cache  # the account's contacts: names and masked personal data
@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    # Read with the account what its panels show of it: its score and plan (tiering) and
    # its contact statistics (relationship).
    account = selectors.account_get_for_user(
        user=user, pk=pk, related=(*TIERING_RELATED, "contact_stats"), unshown=TIERING_UNSHOWN
    )
    page = _account_page(account, user)
    can = selectors.account_can_for(user=user, account=account)
    owner = account.owner_id == user.pk  # who may ask for a handover, or decide one
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            **page,
            "can": can,
            "handover": (
                _pending_handover(account) if owner or Right.CHANGE_OWNER in can else None
            ),
        },
    )


def _pending_handover(account: Account) -> AccountHandover | None:
    return (
        AccountHandover.objects.filter(account=account, status=HandoverStatus.PENDING)
        .select_related("to_owner", "from_owner")
        .first()
    )


# What the account page's projects list shows of each project and of its lead account.
_PROJECT_ROW_FIELDS = (
    "account_id",
    "name",
    "sector",
    "region",
    "currency",
    "total_cost",
    "stage",
    "equator_category",
    "green_category",
    "account__legal_name_en",
    "account__legal_name_zh",
)


def _account_projects(account: Account, user: User) -> list[dict[str, Any]]:
    """Every project the account leads or is a party of, with its role(s) in each: two
    queries (a row per project and role of the account), whatever the number of projects."""
    mine = FilteredRelation("parties", condition=Q(parties__account=account))
    # The projects it is a party of, read first by the party index: an OR across the join
    # would make PostgreSQL read every project (120 ms at 200,000 projects).
    party_of = list(
        ProjectParty.objects.filter(account=account).order_by().values_list("project_id", flat=True)
    )
    rows = (
        Project.objects.annotate(mine=mine)
        .filter(Q(account=account) | Q(pk__in=party_of))
        .annotate(my_role=F("mine__role"), my_equity=F("mine__equity_pct"))
        .select_related("account")
        .only(*_PROJECT_ROW_FIELDS)
        .order_by("name", "pk", "my_role")
    )
    projects: dict[int, dict[str, Any]] = {}
    for project in rows:
        row = projects.get(project.pk)
        if row is None:
            row = projects[project.pk] = {"project": project, "roles": [], "led": False}
            row["led"] = project.account_id == account.pk
        if project.my_role:
            row["roles"].append((str(PartyRole(project.my_role).label), project.my_equity))
    # A project opens through its lead account: linked only where the user may see it.
    visible = selectors.account_ids_visible_among(
        user=user, ids={row["project"].account_id for row in projects.values()}
    ) | {account.pk}
    for row in projects.values():
        project = row["project"]
        row["url"] = (
            link("accounts:project_detail", project.account_id, project.pk)
            if project.account_id in visible
            else ""
        )
        row["lead_url"] = (
            link("accounts:detail", project.account_id)
            if project.account_id in visible and not row["led"]
            else ""
        )
    return list(projects.values())


def _account_page(account: Account, user: User) -> dict[str, Any]:
    projects = _account_projects(account, user)
    # Most accounts have no account team beyond the owner: prefetching the users costs
    # those pages no query at all.
    memberships = AccountMembership.objects.filter(account=account).prefetch_related(
        Prefetch("user", queryset=User.objects.only("username", "first_name", "last_name"))
    )
    return {
        "contacts": [_contact_row(contact) for contact in account.contacts.all()],
        "projects": projects,
        # What this account owes as a borrower, whatever project it borrows under.
        "exposure": summarize_queryset(account.borrowed_facilities.all(), fx_rates()),
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
        # The PIPL record, shown to those who add and edit contacts (Right.EDIT_CONTACTS).
        "legal_basis": contact.get_legal_basis_display(),
        "privacy_gaps": contact.privacy_gaps,
        "consent_withdrawn": contact.consent_withdrawn,
        "processing_stopped": contact.processing_stopped,
        "anonymised": contact.is_anonymised,
        "leaves_mainland": contact.leaves_mainland,
    }


@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not selectors.user_can_create_accounts(user=user):
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
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, right=Right.EDIT_ACCOUNT)
    region_before = account.region
    form = AccountForm(
        request.POST or None,
        instance=account,
        user=user,
        can_change_owner=selectors.account_can(
            user=user, account=account, right=Right.CHANGE_OWNER
        ),
    )
    if request.method == "POST" and form.is_valid():
        services.account_update(account=account, **form.cleaned_data)
        messages.success(request, _("Account saved."))
        if region_before in MAINLAND_REGIONS:
            _warn_transfers_without_consent(request, account)
        return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


def _warn_transfers_without_consent(request: HttpRequest, account: Account) -> None:
    """An account moved outside the mainland takes its contacts' information abroad: say how
    many lack the person's separate consent (each shows the gap on the account page)."""
    if account.region in MAINLAND_REGIONS:
        return
    lacking = account.contacts.filter(
        anonymised_at__isnull=True, cross_border_consent_on__isnull=True
    ).count()
    if lacking:
        messages.warning(
            request,
            ngettext(
                "The account is now outside mainland China: %(n)d contact lacks the person's "
                "separate consent to the transfer abroad. Record it on the contact.",
                "The account is now outside mainland China: %(n)d contacts lack the persons' "
                "separate consent to the transfer abroad. Record it on each contact.",
                lacking,
            )
            % {"n": lacking},
        )


def _contact_form(request: HttpRequest, account: Account, contact: Contact | None) -> HttpResponse:
    if contact is not None and contact.is_anonymised:
        raise PermissionDenied(_("This contact has been anonymised; there is nothing to edit."))
    form = ContactForm(
        request.POST or None,
        instance=contact or Contact(account=account),
        user=request_user(request),
    )
    if request.method == "POST" and form.is_valid():
        services.contact_save(contact=form.instance)
        messages.success(request, _("Contact saved."))
        return redirect(account)
    return render(
        request,
        "accounts/contact_form.html",
        {"form": form, "account": account, "contact": contact},
    )


@never_cache  # the record of a person (and on an error, what was just typed of it)
@login_required
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_CONTACTS
    )
    return _contact_form(request, account, None)


@never_cache
@login_required
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_CONTACTS
    )
    contact = selectors.contact_get_for_account(account=account, pk=contact_pk)
    return _contact_form(request, account, contact)


@never_cache  # a decrypted phone or e-mail: never kept by a browser or proxy
@login_required
@require_POST
def contact_reveal(request: HttpRequest, pk: int, contact_pk: int, field: str) -> HttpResponse:
    """Show one contact's full phone or e-mail: a deliberate, logged act of the account team."""
    if field not in services.REVEALABLE_FIELDS:
        raise Http404("Nothing to reveal there.")
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, right=Right.REVEAL_PII)
    contact = selectors.contact_get_for_account(account=account, pk=contact_pk)
    value = services.contact_reveal(user=user, contact=contact, field=field, request=request)
    context = {"account": account, "contact": contact, "field": field, "value": value}
    if request.headers.get("HX-Request"):
        return render(request, "accounts/_revealed.html", context)
    return render(request, "accounts/contact_reveal.html", context)


# ---------------------------------------------------------------- handovers


@login_required
def handover_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner asks the team lead to hand the account to another relationship manager."""
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    if account.owner_id != user.pk:
        raise PermissionDenied(_("Only the account's owner hands it over."))
    form = HandoverForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.handover_request(
                account=account,
                user=user,
                to_owner=form.cleaned_data["to_owner"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The handover is waiting for the team lead."))
            return redirect(account)
    return render(request, "accounts/handover_form.html", {"form": form, "account": account})


@login_required
@require_POST
def handover_decide(request: HttpRequest, pk: int, handover_pk: int) -> HttpResponse:
    """Approve, reject (team lead, administrator) or withdraw (the owner who asked)."""
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    handover = get_object_or_404(AccountHandover, pk=handover_pk, account=account)
    action = request.POST.get("action")
    try:
        if action == "withdraw":
            services.handover_withdraw(handover=handover, user=user)
            messages.success(request, _("Handover withdrawn."))
        elif action in ("approve", "reject"):
            services.handover_decide(
                handover=handover,
                user=user,
                approve=action == "approve",
                note=request.POST.get("note", ""),
            )
            messages.success(
                request, _("Handover approved.") if action == "approve" else _("Handover rejected.")
            )
        else:
            raise Http404("No such decision.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    # The one who handed over may no longer see the account: back to their book then.
    if selectors.account_list_for_user(user=user).filter(pk=account.pk).exists():
        return redirect(account)
    return redirect("accounts:list")

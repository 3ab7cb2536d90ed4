"""A project's page, and the forms of its figures, parties and facilities.

A project is reached through its lead account, by the one door (``account_get_for_user``):
whoever may not see the lead account gets a 404, whatever parties the project has. Its
parties' accounts are linked only where the user may see them, and named otherwise. Writes
need ``Right.EDIT_PROJECTS`` on the lead account and go through accounts.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.forms import add_service_errors
from kam.http import request_user
from kam.links import link
from kam.models import User

from . import selectors, services
from .exposure import fx_rates, summarize
from .forms import PARTY_ACCOUNT_OPTIONS_MAX, FacilityForm, PartyForm, ProjectForm
from .models import Account, Facility, FacilityClassificationChange, Project, ProjectParty
from .rights import Right

# The classification changes the project's page lists, latest first (the full history of a
# facility is in the admin and the audit trail).
HISTORY_SHOWN = 50

_NAME_FIELDS = ("legal_name_en", "legal_name_zh")
_FACILITY_FIELDS = tuple(
    f.name for f in Facility._meta.concrete_fields if f.name not in ("created_at", "updated_at")
)


def _project_url(project: Project) -> str:
    return link("accounts:project_detail", project.account_id, project.pk)


@login_required
def project_detail(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    project = selectors.project_get_for_account(account=account, pk=project_pk)
    parties = list(
        ProjectParty.objects.filter(project=project)
        .select_related("account")
        .only("role", "equity_pct", "note", "project_id", *(f"account__{f}" for f in _NAME_FIELDS))
        .order_by("role", "account__legal_name_en", "pk")
    )
    facilities = list(
        Facility.objects.filter(project=project)
        .select_related("borrower")
        .only(*_FACILITY_FIELDS, *(f"borrower__{f}" for f in _NAME_FIELDS))
        .order_by("name", "pk")
    )
    history = list(
        FacilityClassificationChange.objects.filter(facility__project=project)
        .select_related("facility", "changed_by")
        .only(
            "previous",
            "classification",
            "reason",
            "changed_at",
            "facility__name",
            "changed_by__username",
            "changed_by__first_name",
            "changed_by__last_name",
        )[:HISTORY_SHOWN]
    )
    visible = selectors.account_ids_visible_among(
        user=user,
        ids=[p.account_id for p in parties] + [f.borrower_id for f in facilities if f.borrower_id],
    ) | {account.pk}
    party_ids = {p.account_id for p in parties}
    return render(
        request,
        "accounts/project_detail.html",
        {
            "account": account,
            "project": project,
            "parties": [_party_row(party, visible) for party in parties],
            "facilities": [_facility_row(f, visible, party_ids) for f in facilities],
            "exposure": summarize(facilities, fx_rates()),
            "unattributed": sum(1 for f in facilities if f.borrower_id is None),
            "history": history,
            "history_cut": len(history) == HISTORY_SHOWN,
            "can": selectors.account_can_for(user=user, account=account),
        },
    )


def _party_row(party: ProjectParty, visible: frozenset[int] | set[int]) -> dict[str, Any]:
    return {
        "pk": party.pk,
        "account_id": party.account_id,
        "name": party.account.display_name,
        # A party's page only for those who may open it; the others see its name.
        "url": link("accounts:detail", party.account_id) if party.account_id in visible else "",
        "role": party.get_role_display(),
        "equity_pct": party.equity_pct,
        "note": party.note,
    }


def _facility_row(
    facility: Facility, visible: frozenset[int] | set[int], party_ids: set[int]
) -> dict[str, Any]:
    borrower = facility.borrower
    return {
        "pk": facility.pk,
        "facility": facility,
        "kind": facility.get_kind_display(),
        "borrower": borrower.display_name if borrower is not None else "",
        "borrower_url": (
            link("accounts:detail", borrower.pk)
            if borrower is not None and borrower.pk in visible
            else ""
        ),
        # Kept by the model's rule, but a party removed by other means would show here.
        "borrower_not_party": borrower is not None and borrower.pk not in party_ids,
        "classification": facility.get_classification_display(),
    }


def _project_form(request: HttpRequest, account: Account, project: Project | None) -> HttpResponse:
    form = ProjectForm(request.POST or None, instance=project or Project(account=account))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = services.project_save(project=form.instance)
                if project is None:  # the lead account is the new project's first party
                    services.party_save(
                        party=ProjectParty(
                            project=saved, account=account, role=form.cleaned_data["lead_role"]
                        )
                    )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Project saved."))
            return redirect(_project_url(saved))
    return render(
        request,
        "accounts/project_form.html",
        {"form": form, "account": account, "project": project},
    )


@login_required
def project_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    return _project_form(request, account, None)


@login_required
def project_edit(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    project = selectors.project_get_for_account(account=account, pk=project_pk)
    return _project_form(request, account, project)


def _editable_project(request: HttpRequest, pk: int, project_pk: int) -> tuple[User, Project]:
    """The project, for a user who may edit the projects of its lead account (404 when the
    account is not theirs, 403 when they only read it)."""
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, right=Right.EDIT_PROJECTS)
    project = selectors.project_get_for_account(account=account, pk=project_pk)
    project.account = account
    return user, project


def _get_child(model: type[Any], project: Project, pk: int) -> Any:
    try:
        return model.objects.get(project=project, pk=pk)
    except model.DoesNotExist as exc:
        raise Http404("Not part of this project.") from exc


# ---------------------------------------------------------------- parties


def _party_form(
    request: HttpRequest, user: User, project: Project, party: ProjectParty
) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    form = PartyForm(request.POST or None, instance=party, user=user, search=search)
    if request.method == "POST" and form.is_valid():
        try:
            services.party_save(party=form.instance)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Party saved."))
            return redirect(_project_url(project))
    return render(
        request,
        "accounts/project_party_form.html",
        {
            "form": form,
            "account": project.account,
            "project": project,
            "party": party if party.pk else None,
            "search": search,
            "options_max": PARTY_ACCOUNT_OPTIONS_MAX,
        },
    )


@login_required
def party_create(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    user, project = _editable_project(request, pk, project_pk)
    return _party_form(request, user, project, ProjectParty(project=project))


@login_required
def party_edit(request: HttpRequest, pk: int, project_pk: int, party_pk: int) -> HttpResponse:
    user, project = _editable_project(request, pk, project_pk)
    party = _get_child(ProjectParty, project, party_pk)
    return _party_form(request, user, project, party)


@login_required
@require_POST
def party_delete(request: HttpRequest, pk: int, project_pk: int, party_pk: int) -> HttpResponse:
    project = _editable_project(request, pk, project_pk)[1]
    party = _get_child(ProjectParty, project, party_pk)
    try:
        services.party_delete(party=party)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Party removed."))
    return redirect(_project_url(project))


# ---------------------------------------------------------------- facilities


def _facility_form(
    request: HttpRequest, user: User, project: Project, facility: Facility
) -> HttpResponse:
    form = FacilityForm(request.POST or None, instance=facility)
    if request.method == "POST" and form.is_valid():
        try:
            services.facility_save(
                facility=form.instance, by=user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Facility saved."))
            if form.instance.over_commitment:
                messages.warning(
                    request,
                    _(
                        "The drawn amount is above the commitment (capitalised interest, a "
                        "currency move?): the facility is flagged on the project's page."
                    ),
                )
            return redirect(_project_url(project))
    return render(
        request,
        "accounts/project_facility_form.html",
        {
            "form": form,
            "account": project.account,
            "project": project,
            "facility": facility if facility.pk else None,
        },
    )


@login_required
def facility_create(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    user, project = _editable_project(request, pk, project_pk)
    return _facility_form(request, user, project, Facility(project=project))


@login_required
def facility_edit(request: HttpRequest, pk: int, project_pk: int, facility_pk: int) -> HttpResponse:
    user, project = _editable_project(request, pk, project_pk)
    facility = _get_child(Facility, project, facility_pk)
    return _facility_form(request, user, project, facility)


@login_required
@require_POST
def facility_delete(
    request: HttpRequest, pk: int, project_pk: int, facility_pk: int
) -> HttpResponse:
    user, project = _editable_project(request, pk, project_pk)
    facility = _get_child(Facility, project, facility_pk)
    try:
        services.facility_delete(facility=facility, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(link("accounts:facility_edit", project.account_id, project.pk, facility.pk))
    messages.success(request, _("Facility removed."))
    return redirect(_project_url(project))

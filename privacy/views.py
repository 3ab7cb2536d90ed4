"""Pages of data-subject requests (PIPL). Compliance and administrators list, handle and
answer them; whoever adds and edits an account's contacts records a request a contact made
(403 without that right, 404 for an account out of reach, through the one door).

Every page here shows personal information: none may be kept by a browser or a proxy
(``never_cache``: ``Cache-Control: no-store``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.choices import LegalBasis
from accounts.models import Contact
from accounts.rights import Right
from accounts.selectors import account_get_for_user, contact_get_for_account
from kam.exports import check_format, export_response
from kam.forms import add_service_errors
from kam.http import request_user
from kam.quarters import today

from . import selectors, services
from .forms import (
    ContactSearchForm,
    CorrectionForm,
    NoteForm,
    RefuseForm,
    RequestForm,
    WithdrawForm,
)
from .models import DataSubjectRequest, RequestKind, RequestStatus

PAGE_SIZE = 25
STATUS_FILTERS = ("open", "closed", "all")


@never_cache
@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """Open requests first by due date, the overdue ones marked; or the closed ones, or all."""
    user = request_user(request)
    selectors.request_handler_check(user)
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    page = Paginator(selectors.request_list(user=user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "privacy/request_list.html",
        {
            "page": page,
            "status": status,
            "counts": selectors.request_counts(),
            "today": today(),
            "query": f"status={status}",
            "run": selectors.retention_run_latest(),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    """Find the person among the contacts (then record it from their contact), or record a
    request of someone who is not one."""
    user = request_user(request)
    selectors.request_handler_check(user)
    search = ContactSearchForm(request.GET or None)
    found = (
        selectors.contact_search(user=user, query=search.cleaned_data["q"])
        if search.is_valid() and search.cleaned_data["q"]
        else None
    )
    form = RequestForm(request.POST or None, with_contact=False)
    if request.method == "POST" and form.is_valid():
        created = _create(form, user=user, contact=None)
        if created is not None:
            messages.success(request, _("Request recorded."))
            return redirect(created)
    return render(
        request,
        "privacy/request_create.html",
        {
            "form": form,
            "search": search,
            "found": found,
            "due_days": settings.PRIVACY_REQUEST_DUE_DAYS,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def contact_request(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Record a request a contact made: the account team (who add and edit its contacts),
    compliance and administrators."""
    user = request_user(request)
    handler = selectors.is_request_handler(user)
    account = account_get_for_user(user=user, pk=pk, right=None if handler else Right.EDIT_CONTACTS)
    contact = contact_get_for_account(account=account, pk=contact_pk)
    if contact.is_anonymised:
        raise Http404("No such contact.")
    form = RequestForm(request.POST or None, with_contact=True)
    if request.method == "POST" and form.is_valid():
        created = _create(form, user=user, contact=contact)
        if created is not None:
            messages.success(
                request, _("Request recorded; compliance is answering it within the deadline.")
            )
            return redirect(created if handler else account)
    return render(
        request,
        "privacy/request_create.html",
        {
            "form": form,
            "account": account,
            "contact": contact,
            "due_days": settings.PRIVACY_REQUEST_DUE_DAYS,
        },
    )


def _create(form: RequestForm, *, user: Any, contact: Contact | None) -> DataSubjectRequest | None:
    data = form.cleaned_data
    try:
        return services.request_create(
            user=user,
            kind=data["kind"],
            received_on=data["received_on"],
            contact=contact,
            person_name=data.get("person_name", ""),
            reply_to=data["reply_to"],
            details=data["details"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


ACTIONS = ("start", "complete", "refuse", "anonymise", "withdraw")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request, its history and what may be done next; each action is a POST here."""
    user = request_user(request)
    dsr = selectors.request_get_for_user(user=user, pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and action not in ACTIONS:
        raise Http404("No such action.")
    forms: dict[str, Any] = {
        "complete": NoteForm(request.POST if action == "complete" else None, prefix="complete"),
        "refuse": RefuseForm(request.POST if action == "refuse" else None, prefix="refuse"),
        "withdraw": WithdrawForm(request.POST if action == "withdraw" else None, prefix="withdraw"),
    }
    if action is not None:
        done = _act(request, dsr, action, forms)
        if done:
            return redirect(dsr)
    contact = dsr.contact
    return render(
        request,
        "privacy/request_detail.html",
        {
            "dsr": dsr,
            "contact": contact,
            "events": dsr.events.select_related("by").order_by("at", "pk"),
            "forms": forms,
            "retention": selectors.retention_status(contact) if contact is not None else None,
            "overdue": dsr.is_overdue(today()),
            "kinds": RequestKind,
            "may_export": selectors.request_export_allowed(request=dsr, user=user),
            "objection": (
                services.objection_note(contact)
                if contact is not None and contact.legal_basis != LegalBasis.CONSENT
                else ""
            ),
        },
    )


def _act(request: HttpRequest, dsr: DataSubjectRequest, action: str, forms: dict[str, Any]) -> bool:
    user = request_user(request)
    form: Any = forms.get(action)
    if form is not None and not form.is_valid():
        return False
    try:
        if action == "start":
            services.request_start(request=dsr, user=user)
            messages.success(request, _("You are handling this request."))
        elif action == "complete":
            services.request_complete(request=dsr, user=user, note=form.cleaned_data["note"])
            messages.success(request, _("Request answered and closed."))
        elif action == "refuse":
            services.request_refuse(request=dsr, user=user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Request refused; the reason is recorded."))
        elif action == "anonymise":
            services.request_anonymise(request=dsr, user=user)
            if dsr.status == RequestStatus.REFUSED:
                messages.warning(
                    request,
                    _("Not anonymised: %(reason)s The request is refused with this reason.")
                    % {"reason": dsr.outcome},
                )
            else:
                messages.success(request, _("The person's information is anonymised."))
        else:
            services.request_withdraw_consent(
                request=dsr, user=user, which=tuple(form.cleaned_data["which"])
            )
            messages.success(request, _("The withdrawal of consent is recorded."))
    except ValidationError as exc:
        if form is not None:
            add_service_errors(form, exc)
        else:
            messages.error(request, " ".join(exc.messages))
        return False
    return True


ACCESS_EXPORT_COLUMNS = (
    gettext_lazy("Section"),
    gettext_lazy("Item"),
    gettext_lazy("Value"),
)
# What a copy for the person contains (kam.data_levels): their record in full, with phone
# and e-mail, the interactions they took part in and their requests.
ACCESS_EXPORT_DATA = (
    "account.name",
    "contact.name",
    "contact.title",
    "contact.stakeholder",
    "contact.phone",
    "contact.email",
    "contact.pipl",
    "interaction.facts",
    "privacy.request",
)


@never_cache
@login_required
@require_GET
def request_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """An access request's copy of everything the portal holds on the person, as a file; the
    export is logged (the request is its reason) and, once the file is produced, noted in the
    request's history. Four eyes: a compliance user or administrator other than the one who
    recorded the request exports it (403 for the recorder)."""
    check_format(fmt)
    user = request_user(request)
    dsr = selectors.request_get_for_user(user=user, pk=pk)
    if dsr.kind != RequestKind.ACCESS or dsr.contact is None:
        raise Http404("Only an access request about a contact has a copy to export.")
    if dsr.status == RequestStatus.REFUSED:
        raise PermissionDenied(_("This request was refused."))
    if not selectors.request_export_allowed(request=dsr, user=user):
        raise PermissionDenied(
            _(
                "You recorded this request: another compliance user or administrator exports "
                "its copy (four eyes)."
            )
        )
    response = export_response(
        request,
        user=user,
        fmt=fmt,
        name=f"privacy-access-{dsr.pk}",
        what=f"Access request #{dsr.pk} (contact #{dsr.contact.pk})",
        headers=ACCESS_EXPORT_COLUMNS,
        rows=list(selectors.access_export_rows(user=user, contact=dsr.contact)),
        fields=ACCESS_EXPORT_DATA,
        account_id=dsr.account_id,
        detail={"privacy_request": dsr.pk},
        reason=f"Data-subject access request #{dsr.pk} (PIPL art. 45)",
    )
    if "attachment" in response.get("Content-Disposition", ""):
        # The file is produced (not a form asking for a reason): only now is it in the history.
        services.request_record_export(request=dsr, user=user, fmt=fmt)
    return response


@never_cache
@login_required
@require_POST
def request_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Show where to answer the person, or what they wrote, in full: a deliberate read by
    compliance or an administrator, logged like a reveal of a contact's phone."""
    if field not in services.REVEALABLE_REQUEST_FIELDS:
        raise Http404("Nothing to reveal there.")
    user = request_user(request)
    dsr = selectors.request_get_for_user(user=user, pk=pk)
    value = services.request_reveal(request=dsr, user=user, field=field, http_request=request)
    context = {"dsr": dsr, "field": field, "value": value}
    if request.headers.get("HX-Request"):
        return render(request, "privacy/_revealed.html", context)
    return render(request, "privacy/request_reveal.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the person's contact as they asked, through the masked personal-data form."""
    user = request_user(request)
    dsr = selectors.request_get_for_user(user=user, pk=pk)
    contact = dsr.contact
    if dsr.kind != RequestKind.CORRECTION or contact is None or contact.is_anonymised:
        raise Http404("Only a correction request about a contact corrects one.")
    if not dsr.is_open:
        raise PermissionDenied(_("This request is closed already."))
    form = CorrectionForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_correct(
                request=dsr, user=user, contact=form.instance, changed=list(form.changed_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Contact corrected. Close the request once the person is told.")
            )
            return redirect(dsr)
    return render(
        request, "privacy/request_correct.html", {"dsr": dsr, "contact": contact, "form": form}
    )

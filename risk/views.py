"""Risk pages. Alerts and covenants are reached through risk.selectors, built on the account
selectors (404 when the account is not yours, 403 when you may only read); writes go through
risk.services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.rights import Right
from accounts.selectors import account_can, account_get_for_user
from accounts.slices import AccountSliceForm
from kam.exports import check_format, export_response, filters_of
from kam.http import request_user
from kam.models import User
from kam.roles import Role

from . import selectors, services
from .choices import AlertState, Severity
from .filters import AlertFilter
from .forms import (
    ActionForm,
    CloseForm,
    CovenantForm,
    CovenantImportForm,
    CovenantTestForm,
    CovenantWaiverDecisionForm,
    CovenantWaiverForm,
    EsgCloseForm,
    EsgEventForm,
    ManualAlertForm,
    MitigationForm,
    NoteForm,
    RiskRuleForm,
)
from .models import Alert, CovenantWaiver, EsgEvent, MitigationAction, RiskRule
from .rules import registry

PAGE_SIZE = 25


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    title: str,
    back: str,
    account: Account | None = None,
    alert: Alert | None = None,
    submit: str | None = None,
    danger: bool = False,
    multipart: bool = False,
) -> HttpResponse:
    return render(
        request,
        "risk/form.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "account": account,
            "alert": alert,
            "submit": submit or _("Save"),
            "danger": danger,
            "multipart": multipart,
        },
    )


# ---------------------------------------------------------------- alerts


def _filtered_alerts(
    request: HttpRequest, user: User
) -> tuple[AlertFilter, QuerySet[Alert], AccountSliceForm]:
    """The alerts with the user's filters and the dashboards' slice (team, region, account
    tier, sector, account): the list and its exports share them."""
    account_slice = AccountSliceForm(request.GET)
    queryset = (
        selectors.alert_list_for_user(user=user)
        .filter(account_slice.slice_q())
        .select_related("account", "account__team", "rule", "owner")
    )
    alert_filter = AlertFilter(request.GET, queryset=queryset, request=request)
    alerts = alert_filter.qs if alert_filter.is_valid() else queryset.none()
    return alert_filter, alerts, account_slice


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    alert_filter, alerts, account_slice = _filtered_alerts(request, user)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "risk/alert_list.html",
        {
            "filter": alert_filter,
            "page": page,
            "query": query.urlencode(),
            "can_scan": selectors.user_triages_alerts(user),
            "slice": account_slice.applied(),
        },
    )


ALERT_EXPORT_COLUMNS: tuple[tuple[Any, str], ...] = (
    (gettext_lazy("Alert"), "pk"),
    (gettext_lazy("Severity"), "severity"),
    (gettext_lazy("State"), "state"),
    (pgettext_lazy("heading", "Title"), "title"),
    (gettext_lazy("Rule"), "rule__name"),
    (gettext_lazy("Account"), "account__legal_name_en"),
    (gettext_lazy("Account (Chinese)"), "account__legal_name_zh"),
    (gettext_lazy("Team"), "account__team__name"),
    (gettext_lazy("Owner"), "owner__username"),
    (gettext_lazy("Opened"), "opened_at"),
    (gettext_lazy("Acknowledge by"), "ack_deadline"),
    (gettext_lazy("Acknowledged"), "acknowledged_at"),
    (gettext_lazy("Closed"), "closed_at"),
)


@login_required
def alert_list_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The alert list as filtered, every page, as CSV or Excel; logged."""
    check_format(fmt)
    user = request_user(request)
    alert_filter, alerts, account_slice = _filtered_alerts(request, user)
    paths = [path for _header, path in ALERT_EXPORT_COLUMNS]
    severities, states = dict(Severity.choices), dict(AlertState.choices)

    def rows() -> Iterator[list[Any]]:
        for values in alerts.order_by("-severity", "opened_at", "pk").values(*paths).iterator(2000):
            values["severity"] = severities.get(values["severity"], values["severity"])
            values["state"] = states.get(values["state"], values["state"])
            yield [values[path] for path in paths]

    applied = dict(account_slice.applied())
    if alert_filter.is_valid():
        applied.update(filters_of(alert_filter.form.cleaned_data))
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name="risk-alerts",
        what="Risk alerts",
        headers=[header for header, _path in ALERT_EXPORT_COLUMNS],
        rows=rows(),
        fields=("risk_alert.facts", "account.name", "account.profile", "user.name"),
        count=alerts.count(),
        filters=applied,
    )


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    alert = selectors.alert_get_for_user(user=user, pk=pk)
    can_act = selectors.alert_can_act(user=user, alert=alert)
    context: dict[str, Any] = {
        "alert": alert,
        "account": alert.account,
        "can_act": can_act and alert.is_active,
        "can_dismiss": selectors.alert_can_dismiss(user=user) and alert.is_active,
        "comment_form": NoteForm(),
        **selectors.alert_detail_context(alert=alert),
    }
    if can_act and alert.state == AlertState.IN_MITIGATION:
        context["action_form"] = ActionForm(owners=selectors.action_owner_choices(alert=alert))
    return render(request, "risk/alert_detail.html", context)


def _act(request: HttpRequest, pk: int) -> tuple[User, Alert]:
    user = request_user(request)
    alert = selectors.alert_get_for_user(user=user, pk=pk, act=True)
    return user, alert


def _changed(request: HttpRequest, alert: Alert, exc: ValidationError) -> HttpResponse:
    for message in exc.messages:
        messages.error(request, message)
    return redirect(alert)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user, alert = _act(request, pk)
    try:
        services.alert_acknowledge(alert=alert, user=user)
    except services.AlertChanged as exc:
        return _changed(request, alert, exc)
    messages.success(request, _("Alert acknowledged."))
    return redirect(alert)


@login_required
@require_POST
def alert_comment(request: HttpRequest, pk: int) -> HttpResponse:
    user, alert = _act(request, pk)
    form = NoteForm(request.POST, required=True)
    if form.is_valid():
        services.alert_comment(alert=alert, user=user, note=form.cleaned_data["note"])
        messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("Write a comment first."))
    return redirect(alert)


@login_required
def alert_mitigate(request: HttpRequest, pk: int) -> HttpResponse:
    user, alert = _act(request, pk)
    form = MitigationForm(request.POST or None, owners=selectors.action_owner_choices(alert=alert))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.alert_start_mitigation(
                alert=alert,
                user=user,
                plan=data["plan"],
                action=data.get("action") or "",
                action_owner=data.get("owner"),
                action_due=data.get("due_date"),
            )
        except services.AlertChanged as exc:
            return _changed(request, alert, exc)
        messages.success(request, _("Mitigation plan recorded."))
        return redirect(alert)
    return _form_page(
        request,
        form=form,
        title=_("Start mitigation"),
        back=alert.get_absolute_url(),
        account=alert.account,
        alert=alert,
    )


@login_required
@require_POST
def alert_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, alert = _act(request, pk)
    form = ActionForm(request.POST, owners=selectors.action_owner_choices(alert=alert))
    if not form.is_valid():
        return _form_page(
            request,
            form=form,
            title=_("Add a mitigation action"),
            back=alert.get_absolute_url(),
            account=alert.account,
            alert=alert,
        )
    try:
        services.mitigation_action_add(
            alert=alert,
            user=user,
            description=form.cleaned_data["description"],
            owner=form.cleaned_data["owner"],
            due_date=form.cleaned_data["due_date"],
        )
    except services.AlertChanged as exc:
        return _changed(request, alert, exc)
    messages.success(request, _("Action added."))
    return redirect(alert)


@login_required
@require_POST
def alert_action_done(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    user, alert = _act(request, pk)
    action = get_object_or_404(MitigationAction, pk=action_pk, alert=alert)
    services.mitigation_action_complete(action=action, user=user)
    messages.success(request, _("Action marked done."))
    return redirect(alert)


def _close(request: HttpRequest, pk: int, *, dismiss: bool) -> HttpResponse:
    user, alert = _act(request, pk)
    if dismiss and not selectors.alert_can_dismiss(user=user):
        raise PermissionDenied(_("Only risk officers dismiss alerts."))
    form = CloseForm(request.POST or None, dismiss=dismiss)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if dismiss:
                services.alert_dismiss(
                    alert=alert, user=user, reason=data["note"], quiet_days=data["quiet_days"]
                )
                messages.success(request, _("Alert dismissed."))
            else:
                services.alert_resolve(
                    alert=alert, user=user, note=data["note"], quiet_days=data["quiet_days"]
                )
                messages.success(request, _("Alert resolved."))
        except services.AlertChanged as exc:
            return _changed(request, alert, exc)
        return redirect(alert)
    return _form_page(
        request,
        form=form,
        title=_("Dismiss the alert") if dismiss else _("Resolve the alert"),
        back=alert.get_absolute_url(),
        account=alert.account,
        alert=alert,
        submit=_("Dismiss") if dismiss else _("Resolve"),
        danger=dismiss,
    )


@login_required
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _close(request, pk, dismiss=False)


@login_required
def alert_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _close(request, pk, dismiss=True)


@login_required
def alert_raise(request: HttpRequest, pk: int) -> HttpResponse:
    """A manual alert on an account: its team, or a risk officer."""
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    if not (
        selectors.user_triages_alerts(user)
        or account_can(user=user, account=account, right=Right.RISK)
    ):
        raise PermissionDenied(_("Only the account team and risk officers raise alerts."))
    form = ManualAlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            alert = services.alert_raise_manual(account=account, user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Alert raised."))
            return redirect(alert)
    return _form_page(
        request,
        form=form,
        title=_("Raise a risk alert"),
        back=account.get_absolute_url(),
        account=account,
        submit=_("Raise alert"),
    )


# ---------------------------------------------------------------- covenants and ESG


@login_required
def account_covenants(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    writable = account_can(user=user, account=account, right=Right.EDIT_PROJECTS)
    projects = selectors.covenants_for_account(account=account)
    return render(
        request,
        "risk/account_covenants.html",
        {
            "account": account,
            "projects": projects,
            "calendar": selectors.covenant_calendar_of(projects),
            "esg_events": selectors.esg_events_for_account(account=account),
            "can_edit": writable,
            "can_record_esg": writable or selectors.user_triages_alerts(user),
        },
    )


@login_required
def covenant_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_get_for_user(user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS)
    form = CovenantForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.covenant_save(**form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Covenant saved."))
            return redirect("risk:account_covenants", pk=account.pk)
    return _form_page(
        request,
        form=form,
        title=_("Add or correct a covenant"),
        back=_covenants_url(account),
        account=account,
    )


@login_required
def covenant_test_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk, right=Right.EDIT_PROJECTS)
    form = CovenantTestForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.covenant_test_record(user=user, **form.record_kwargs())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Covenant figure recorded."))
            return redirect("risk:account_covenants", pk=account.pk)
    return _form_page(
        request,
        form=form,
        title=_("Record a covenant figure"),
        back=_covenants_url(account),
        account=account,
    )


@login_required
def covenant_waiver_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a cure, waiver or amendment, pending the approval of the approver it names:
    whoever may change the account's projects, or a risk officer."""
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    if not (
        user.has_role(Role.RISK)
        or account_can(user=user, account=account, right=Right.EDIT_PROJECTS)
    ):
        raise PermissionDenied(_("Only the account team and risk officers record these."))
    form = CovenantWaiverForm(request.POST or None, account=account, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.covenant_waiver_record(user=user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Recorded. It relieves nothing until the approver confirms it in the portal."),
            )
            return redirect("risk:account_covenants", pk=account.pk)
    return _form_page(
        request,
        form=form,
        title=_("Record a cure, waiver or amendment"),
        back=_covenants_url(account),
        account=account,
    )


@login_required
def covenant_waiver_decide(request: HttpRequest, pk: int, waiver_pk: int) -> HttpResponse:
    """The approver a cure, waiver or amendment names confirms or rejects it; nobody else."""
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    waiver = selectors.covenant_waiver_get_for_approver(account=account, pk=waiver_pk, user=user)
    if not waiver.is_pending:
        messages.info(request, _("It has been decided already."))
        return redirect("risk:account_covenants", pk=account.pk)
    form = CovenantWaiverDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.covenant_waiver_decide(
                waiver=waiver, user=user, approve=approve, note=form.cleaned_data["note"]
            )
        except services.WaiverChanged as exc:
            messages.info(request, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
            return _waiver_decision_page(request, form, account, waiver)
        else:
            messages.success(request, _("Approved.") if approve else _("Rejected."))
        return redirect("risk:account_covenants", pk=account.pk)
    return _waiver_decision_page(request, form, account, waiver)


def _waiver_decision_page(
    request: HttpRequest, form: Any, account: Account, waiver: CovenantWaiver
) -> HttpResponse:
    return render(
        request,
        "risk/covenant_waiver_decide.html",
        {
            "form": form,
            "account": account,
            "waiver": waiver,
            "title": _("Approve or reject"),
            "back": _covenants_url(account),
        },
    )


def _add_errors(form: Any, exc: ValidationError) -> None:
    """A service's errors on the form: on their field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def covenant_import(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk, right=Right.EDIT_PROJECTS)
    form = CovenantImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.covenant_tests_import(
            account=account, user=user, upload=form.cleaned_data["file"]
        )
        if result.ok:
            messages.success(
                request,
                _("Imported: %(created)s new figures, %(updated)s corrected.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("risk:account_covenants", pk=account.pk)
    return render(
        request,
        "risk/covenant_import.html",
        {"account": account, "form": form, "result": result},
    )


def _covenants_url(account: Account) -> str:
    return reverse("risk:account_covenants", args=[account.pk])


def _esg_account(request: HttpRequest, pk: int) -> tuple[User, Account]:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    if not (
        account_can(user=user, account=account, right=Right.EDIT_PROJECTS)
        or selectors.user_triages_alerts(user)
    ):
        raise PermissionDenied(_("Only the account team and risk officers record ESG events."))
    return user, account


@login_required
def esg_event_create(request: HttpRequest, pk: int) -> HttpResponse:
    user, account = _esg_account(request, pk)
    form = EsgEventForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        services.esg_event_record(account=account, user=user, **form.cleaned_data)
        messages.success(request, _("ESG event recorded."))
        return redirect("risk:account_covenants", pk=account.pk)
    return _form_page(
        request,
        form=form,
        title=_("Record a negative ESG event"),
        back=_covenants_url(account),
        account=account,
    )


@login_required
def esg_event_close(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    _user_, account = _esg_account(request, pk)
    try:
        event = EsgEvent.objects.get(pk=event_pk, account=account)
    except (EsgEvent.DoesNotExist, ValueError) as exc:
        raise Http404("No such event.") from exc
    form = EsgCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.esg_event_close(
            event=event, closed_on=form.cleaned_data["closed_on"], note=form.cleaned_data["note"]
        )
        messages.success(request, _("ESG event closed."))
        return redirect("risk:account_covenants", pk=account.pk)
    return _form_page(
        request,
        form=form,
        title=_("Close the ESG event “%(title)s”") % {"title": event.title},
        back=_covenants_url(account),
        account=account,
    )


# ---------------------------------------------------------------- scans and rules


def _officer(request: HttpRequest) -> User:
    user = request_user(request)
    if not selectors.user_triages_alerts(user):
        raise PermissionDenied(_("Only risk officers and administrators run scans and edit rules."))
    return user


@login_required
def scan_list(request: HttpRequest) -> HttpResponse:
    _officer(request)
    return render(request, "risk/scan_list.html", {"runs": selectors.recent_scans()})


@login_required
@require_POST
def scan_run(request: HttpRequest) -> HttpResponse:
    user = _officer(request)
    try:
        services.scan_request(user=user)
    except Exception:
        messages.error(request, _("The scan could not be queued: the task queue is not reachable."))
    else:
        messages.success(request, _("Scan queued; the alerts update as its chunks finish."))
    return redirect("risk:scan_list")


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _officer(request)
    return render(
        request,
        "risk/rule_list.html",
        {"rules": selectors.rules_for_officer(), "reference": registry.parameter_reference()},
    )


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _officer(request)
    rule = get_object_or_404(RiskRule, pk=pk) if pk is not None else None
    form = RiskRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        services.rule_save(rule=form.save(commit=False), user=user)
        messages.success(request, _("Rule saved."))
        return redirect("risk:rule_list")
    codes = [rule.rule_type] if rule else None
    return render(
        request,
        "risk/rule_form.html",
        {"form": form, "rule": rule, "reference": registry.parameter_reference(codes)},
    )

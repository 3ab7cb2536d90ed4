"""The watch list's pages: the list (filterable; a risk officer's overdue reviews first), an
entry with its review and exit, and putting an account on the list. Every page reaches
accounts through the one door: an entry of an account the user may not see is a 404; only a
risk officer or the lead of the account's team changes the list (403 for the others)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.selectors import account_get_for_user
from kam.http import request_user

from . import selectors
from .models import WatchListEntry, WatchReason
from .services.watchlist import watch_list_put, watch_list_remove, watch_list_review

PAGE_SIZE = 25
DEFAULT_REVIEW_DAYS = 90

_DATE = forms.DateInput(attrs={"type": "date"})


class _Crispy(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class WatchPutForm(_Crispy):
    reason_kind = forms.ChoiceField(label=gettext_lazy("Why"), choices=WatchReason.choices)
    reason = forms.CharField(
        label=gettext_lazy("Entry reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What makes the account worth watching closely, and what to watch."),
    )
    next_review_on = forms.DateField(label=gettext_lazy("First review by"), widget=_DATE)


class WatchReviewForm(_Crispy):
    next_review_on = forms.DateField(label=gettext_lazy("Next review by"), widget=_DATE)
    note = forms.CharField(
        label=gettext_lazy("Review note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WatchRemoveForm(_Crispy):
    exit_reason = forms.CharField(
        label=gettext_lazy("Exit reason"), widget=forms.Textarea(attrs={"rows": 3})
    )


STATE_CHOICES = [
    ("open", gettext_lazy("On the watch list")),
    ("exited", gettext_lazy("Taken off")),
    ("all", gettext_lazy("All entries")),
]


class WatchListFilterForm(forms.Form):
    """The list's filters; an unknown value is ignored, never an error page."""

    state = forms.ChoiceField(label=gettext_lazy("State"), choices=STATE_CHOICES, required=False)
    reason_kind = forms.ChoiceField(
        label=gettext_lazy("Why"),
        choices=[("", gettext_lazy("Any reason"))] + WatchReason.choices,
        required=False,
    )
    overdue = forms.BooleanField(label=gettext_lazy("Review overdue"), required=False)
    q = forms.CharField(label=gettext_lazy("Account"), required=False, max_length=100)

    def apply(self, entries: QuerySet[WatchListEntry], today: dt.date) -> QuerySet[WatchListEntry]:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        state = data.get("state") or "open"
        if state == "open":
            entries = entries.filter(exited_on__isnull=True)
        elif state == "exited":
            entries = entries.filter(exited_on__isnull=False)
        if data.get("reason_kind"):
            entries = entries.filter(reason_kind=data["reason_kind"])
        if data.get("overdue"):
            entries = entries.filter(exited_on__isnull=True, next_review_on__lt=today)
        text = (data.get("q") or "").strip()
        if text:
            entries = entries.filter(
                Q(account__legal_name_en__icontains=text)
                | Q(account__legal_name_zh__icontains=text)
            )
        return entries


@login_required
def watch_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    today = timezone.localdate()
    visible = selectors.watch_list_for_user(user=user)
    form = WatchListFilterForm(request.GET or None)
    entries = (
        form.apply(visible, today) if form.is_bound else visible.filter(exited_on__isnull=True)
    )
    entries = entries.select_related("account", "entered_by", "exited_by").order_by(
        "exited_on", "next_review_on", "pk"
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "risk/watch_list.html",
        {
            "form": form if form.is_bound else WatchListFilterForm(),
            "page": page,
            "query": query.urlencode(),
            "today": today,
            "overdue": selectors.watch_list_overdue_count(user=user),
        },
    )


@login_required
def watch_put(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    if not selectors.watch_list_can_manage(user=user, account=account):
        raise PermissionDenied(
            _("Only a risk officer or the lead of the account's team manages the watch list.")
        )
    initial = {"next_review_on": timezone.localdate() + dt.timedelta(days=DEFAULT_REVIEW_DAYS)}
    form = WatchPutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = watch_list_put(account=account, user=user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The account is on the watch list."))
            return redirect(entry)
    return render(
        request,
        "risk/form.html",
        {
            "form": form,
            "title": _("Put on the watch list"),
            "back": account.get_absolute_url(),
            "account": account,
            "submit": _("Put on the watch list"),
            "danger": False,
        },
    )


@login_required
def watch_entry(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    entry = selectors.watch_entry_get_for_user(user=user, pk=pk)
    return _entry_page(request, entry, user=user)


def _entry_page(
    request: HttpRequest,
    entry: WatchListEntry,
    *,
    user: Any,
    review: WatchReviewForm | None = None,
    remove: WatchRemoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    can_manage = entry.is_open and selectors.watch_list_can_manage(user=user, account=entry.account)
    return render(
        request,
        "risk/watch_entry.html",
        {
            "entry": entry,
            "account": entry.account,
            "overdue": entry.review_overdue(today),
            "can_manage": can_manage,
            "review_form": review
            or WatchReviewForm(
                initial={"next_review_on": today + dt.timedelta(days=DEFAULT_REVIEW_DAYS)}
            ),
            "remove_form": remove or WatchRemoveForm(),
            "history": list(
                WatchListEntry.objects.filter(account=entry.account)
                .exclude(pk=entry.pk)
                .select_related("entered_by", "exited_by")
                .order_by("-entered_on", "-pk")[:10]
            ),
        },
        status=status,
    )


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_POST
def watch_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    entry = selectors.watch_entry_get_for_user(user=user, pk=pk)
    form = WatchReviewForm(request.POST)
    if form.is_valid():
        try:
            watch_list_review(
                entry=entry,
                user=user,
                next_review_on=form.cleaned_data["next_review_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Review recorded."))
            return redirect(entry)
    return _entry_page(request, entry, user=user, review=form, status=400)


@login_required
@require_POST
def watch_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    entry = selectors.watch_entry_get_for_user(user=user, pk=pk)
    form = WatchRemoveForm(request.POST)
    if form.is_valid():
        try:
            watch_list_remove(entry=entry, user=user, reason=form.cleaned_data["exit_reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The account is off the watch list."))
            return redirect(entry)
    return _entry_page(request, entry, user=user, remove=form, status=400)

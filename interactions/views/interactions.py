"""Relationship timeline, logging interactions, follow-up actions (issue 4).

Every view reaches the account through accounts.selectors (404 when not yours, 403 when you
may only read); confidential interactions are shown to the account team, and to compliance,
who read the notes of each on its own page, a read that is logged."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.rights import Right
from accounts.selectors import account_can, account_get_for_user, tier_policy
from kam.exports import check_format, export_response
from kam.http import request_user
from kam.quarters import today
from kam.services import notification_mark_read

from ..forms.interactions import (
    InteractionForm,
    follow_up_data,
    follow_up_formset,
)
from ..models import FollowUp
from ..selectors import interactions as selectors
from ..services import interactions as services

PAGE_SIZE = 20


def _follow_up_base(account_pk: int) -> str:
    """``/accounts/<pk>/follow-ups/``: reversed once per page, not once per action."""
    return reverse("interactions:follow_up_toggle", args=[account_pk, 0]).removesuffix("0/toggle/")


def _apply_form_errors(form: InteractionForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@never_cache  # the account team reads confidential notes here, decrypted
@login_required
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The account's relationship timeline across channels, newest first, with cadence
    against the tier's target and the senior contacts not met lately."""
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk, related=("contact_stats",))
    access = selectors.confidential_access(user=user, account=account)
    interactions = selectors.timeline_values(account=account, access=access)
    page = Paginator(interactions, PAGE_SIZE).get_page(request.GET.get("page"))
    policy = tier_policy(account.tier)
    return render(
        request,
        "interactions/timeline.html",
        {
            "account": account,
            "page": page,
            "rows": selectors.timeline_rows(page.object_list, on=today()),
            "cadence": selectors.cadence_for_account(
                account=account,
                cadence_days=policy.cadence_days if policy else None,
                stats_read=True,
            ),
            "not_met": selectors.senior_contacts_not_met(account=account),
            "coverage_days": selectors.COVERAGE_DAYS,
            "can_edit": account_can(user=user, account=account, right=Right.RELATIONSHIP),
            "on_team": access.team,
            "timeline_url": reverse("interactions:timeline", args=[account.pk]),
            "follow_up_base": _follow_up_base(account.pk),
        },
    )


@login_required
def timeline_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The account's interactions as CSV or Excel: never the confidential ones, even for the
    account team (selectors.interaction_list_for_export); logged against the account."""
    check_format(fmt)
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    interactions = (
        selectors.interaction_list_for_export(user=user)
        .filter(account=account)
        .order_by("-occurred_at", "-pk")
    )
    columns = (
        (gettext_lazy("When"), "occurred_at"),
        (gettext_lazy("Channel"), "channel__name"),
        (gettext_lazy("Subject"), "subject"),
        (gettext_lazy("Summary"), "summary"),
        (gettext_lazy("Outcome"), "outcome"),
        (gettext_lazy("Logged by"), "created_by__username"),
    )
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name=f"interactions-{account.pk}",
        what=f"Interactions of {account.display_name}",
        headers=[header for header, _path in columns],
        rows=interactions.values_list(*(path for _header, path in columns)).iterator(2000),
        # The summary and outcome are the notes (level 3): the export always asks why.
        fields=("interaction.facts", "interaction.notes", "user.name"),
        count=interactions.count(),
        account_id=account.pk,
    )


@never_cache  # the notes, confidential ones decrypted: never kept by a browser or proxy
@login_required
def interaction_detail(request: HttpRequest, pk: int, interaction_pk: int) -> HttpResponse:
    """One interaction with its notes. Compliance reading a confidential one (not being on
    its account team) is written to the access log before the page is shown."""
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk, related=("contact_stats",))
    access = selectors.confidential_access(user=user, account=account)
    interaction = selectors.interaction_get_for_user(
        account=account, pk=interaction_pk, access=access
    )
    if interaction.is_confidential and not access.team:
        services.interaction_notes_read_log(user=user, interaction=interaction, request=request)
    return render(
        request,
        "interactions/interaction_detail.html",
        {
            "account": account,
            "interaction": interaction,
            "notes": interaction.notes,
            "on_team": access.team,
            "row": selectors.timeline_rows(
                selectors.timeline_values(
                    account=account, access=access, with_confidential_notes=True
                ).filter(pk=interaction.pk),
                on=today(),
            )[0],
            "can_edit": account_can(user=user, account=account, right=Right.RELATIONSHIP),
            "follow_up_base": _follow_up_base(account.pk),
        },
    )


def _form_page(
    request: HttpRequest,
    *,
    account_pk: int,
    interaction_pk: int | None,
) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=account_pk, right=Right.RELATIONSHIP)
    interaction = None
    if interaction_pk is not None:
        # Editing shows the notes: the account team's, never compliance's (who may only read).
        on_team = selectors.is_account_team(user=user, account=account)
        interaction = selectors.interaction_get_for_user(
            account=account, pk=interaction_pk, access=selectors.ConfidentialAccess(team=on_team)
        )
    data = request.POST if request.method == "POST" else None
    initial = InteractionForm.initial_for(interaction) if interaction else None
    form = InteractionForm(data, account=account, initial=initial)
    formset = follow_up_formset(data, account=account)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = dict(form.cleaned_data)
        fields["internal_participants"] = list(fields["internal_participants"])
        fields["contacts"] = list(fields["contacts"])
        try:
            if interaction is None:
                interaction = services.interaction_create(
                    account=account, user=user, follow_ups=follow_up_data(formset), **fields
                )
                messages.success(request, _("Interaction logged."))
            else:
                services.interaction_update(
                    interaction=interaction,
                    user=user,
                    follow_ups=follow_up_data(formset),
                    **fields,
                )
                messages.success(request, _("Interaction saved."))
        except ValidationError as exc:
            _apply_form_errors(form, exc)
        else:
            return redirect("interactions:timeline", account.pk)
    channel_field = form.fields["channel"]
    assert isinstance(channel_field, forms.ModelChoiceField)
    assert channel_field.queryset is not None  # the form sets the active channels
    return render(
        request,
        "interactions/interaction_form.html",
        {
            "account": account,
            "interaction": interaction,
            "form": form,
            "formset": formset,
            "preferences": selectors.contacts_with_preferences(account=account),
            "video_channels": [c.pk for c in channel_field.queryset if c.is_video],
        },
    )


@never_cache  # on an error, the notes just typed
@login_required
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, account_pk=pk, interaction_pk=None)


@never_cache  # the notes, confidential ones decrypted
@login_required
def interaction_edit(request: HttpRequest, pk: int, interaction_pk: int) -> HttpResponse:
    return _form_page(request, account_pk=pk, interaction_pk=interaction_pk)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def follow_up_toggle(request: HttpRequest, pk: int, follow_up_pk: int) -> HttpResponse:
    """Mark a follow-up action done (or open again). The owner of the action may do it as
    well as anyone who may change the account."""
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    try:
        follow_up = FollowUp.objects.select_related("interaction").get(
            pk=follow_up_pk, account=account
        )
    except (FollowUp.DoesNotExist, ValueError) as exc:
        raise Http404("No such action.") from exc
    if (
        follow_up.interaction is not None
        and follow_up.interaction.is_confidential
        and not selectors.is_account_team(user=user, account=account)
    ):
        raise Http404("No such action.")
    if follow_up.owner_id != user.pk:
        account_get_for_user(user=user, pk=pk, right=Right.RELATIONSHIP)
    if request.POST.get("done") == "0":
        services.follow_up_reopen(follow_up=follow_up, user=user)
        messages.info(request, _("Action reopened."))
    else:
        services.follow_up_complete(follow_up=follow_up, user=user)
        messages.success(request, _("Action done."))
    return redirect(_safe_next(request, account.get_absolute_url()))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_pk: int) -> HttpResponse:
    notification_mark_read(user=request_user(request), notification_id=notification_pk)
    return redirect(_safe_next(request, "/"))

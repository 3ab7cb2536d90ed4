"""Tiering pages: an account's score and tier history, proposing a manual tier, and the
maker–checker decisions on overrides. Accounts are reached only through accounts.selectors
(404 when not yours); a decision by someone who may see but not decide is a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.http import request_user

from .. import selectors
from ..choices import OverrideStatus
from ..models import TierOverride
from ..rights import Right
from . import selectors as tiering_selectors
from . import services as tiering_services
from .forms import OverrideNoteForm, OverrideProposeForm

HISTORY_PAGE_SIZE = 25


def _messages_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


@login_required
def account_tiering(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    summary = tiering_selectors.account_tiering_summary(user=user, account=account, changes=0)
    history = Paginator(
        tiering_selectors.tier_history_for_account(account=account), HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    overrides = list(tiering_selectors.overrides_for_account(account=account)[:50])
    return render(
        request,
        "accounts/tiering/account_tiering.html",
        {"account": account, "tiering": summary, "history": history, "overrides": overrides},
    )


@login_required
def override_propose(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, right=Right.TIERING)
    form = OverrideProposeForm(request.POST or None, current_tier=account.tier)
    if request.method == "POST" and form.is_valid():
        try:
            override = tiering_services.tier_override_propose(
                account=account,
                user=user,
                requested_tier=form.cleaned_data["requested_tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(None if field == "__all__" else field, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(
                request, _("Override proposed. It takes effect once the team lead approves it.")
            )
            return redirect("accounts:override_detail", override_pk=override.pk)
    return render(
        request, "accounts/tiering/override_form.html", {"account": account, "form": form}
    )


def _override_page(
    request: HttpRequest,
    override: TierOverride,
    *,
    forms: dict[str, OverrideNoteForm] | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    user = request_user(request)
    account = override.account
    can_decide = override.status == OverrideStatus.PENDING and (
        tiering_services.override_can_decide(
            user=user, account=account, proposed_by_id=override.proposed_by_id
        )
    )
    can_revoke = override.status == OverrideStatus.APPROVED and (
        selectors.account_can(user=user, account=account, right=Right.TIERING)
        or user.pk == override.decided_by_id
    )
    forms = forms or {}
    context = {
        "account": account,
        "override": override,
        "changes": list(override.tier_changes.select_related("changed_by").order_by("-changed_at")),
        "can_decide": can_decide,
        "can_withdraw": override.status == OverrideStatus.PENDING
        and override.proposed_by_id == user.pk,
        "can_revoke": can_revoke,
        "approve_form": forms.get("approve") or OverrideNoteForm(prefix="approve", required=False),
        "reject_form": forms.get("reject") or OverrideNoteForm(prefix="reject"),
        "revoke_form": forms.get("revoke") or OverrideNoteForm(prefix="revoke"),
        "errors": errors or [],
    }
    return render(request, "accounts/tiering/override_detail.html", context)


@login_required
def override_detail(request: HttpRequest, override_pk: int) -> HttpResponse:
    override = tiering_selectors.override_get_for_user(user=request_user(request), pk=override_pk)
    return _override_page(request, override)


def _decide(request: HttpRequest, override_pk: int, decision: str) -> HttpResponse:
    user = request_user(request)
    override = tiering_selectors.override_get_for_user(user=user, pk=override_pk)
    required = decision != "approve"
    form = OverrideNoteForm(request.POST, prefix=decision, required=required)
    if not form.is_valid():
        return _override_page(request, override, forms={decision: form})
    note = form.cleaned_data["note"]
    try:
        if decision == "approve":
            tiering_services.tier_override_approve(override=override, user=user, note=note)
            messages.success(request, _("Override approved: the account's tier has changed."))
        elif decision == "reject":
            tiering_services.tier_override_reject(override=override, user=user, note=note)
            messages.success(request, _("Override rejected."))
        else:
            tiering_services.tier_override_revoke(override=override, user=user, note=note)
            messages.success(request, _("Override revoked: the account follows the model again."))
    except ValidationError as error:
        return _override_page(request, override, errors=_messages_of(error))
    return redirect("accounts:override_detail", override_pk=override.pk)


@login_required
@require_POST
def override_approve(request: HttpRequest, override_pk: int) -> HttpResponse:
    return _decide(request, override_pk, "approve")


@login_required
@require_POST
def override_reject(request: HttpRequest, override_pk: int) -> HttpResponse:
    return _decide(request, override_pk, "reject")


@login_required
@require_POST
def override_revoke(request: HttpRequest, override_pk: int) -> HttpResponse:
    return _decide(request, override_pk, "revoke")


@login_required
@require_POST
def override_withdraw(request: HttpRequest, override_pk: int) -> HttpResponse:
    user = request_user(request)
    override = tiering_selectors.override_get_for_user(user=user, pk=override_pk)
    try:
        tiering_services.tier_override_withdraw(override=override, user=user)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Proposal withdrawn."))
    return redirect("accounts:override_detail", override_pk=override.pk)


@login_required
def override_queue(request: HttpRequest) -> HttpResponse:
    """Proposals awaiting my decision (team leads, executives) and my own proposals."""
    user = request_user(request)
    to_decide = list(tiering_selectors.override_queue_for_user(user=user)[:100])
    mine = Paginator(tiering_selectors.overrides_proposed_by(user=user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/tiering/override_queue.html",
        {"to_decide": to_decide, "mine": mine},
    )

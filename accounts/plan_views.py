"""Account plan pages: read by everyone who sees the account, edited by the account team."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.http import request_user

from . import plan_services, selectors
from .choices import PlanActionStatus
from .models import Account, AccountPlan, PlanAction, TierPolicy
from .plan_forms import AccountPlanForm, PlanActionForm, ServiceItemFormSet, WalletLineFormSet
from .rights import Right


def _plan_or_404(account: Account) -> AccountPlan:
    plan = AccountPlan.objects.filter(account=account).first()
    if plan is None:
        raise Http404("This account has no plan yet.")
    return plan


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    plan = AccountPlan.objects.filter(account=account).select_related("updated_by").first()
    # The biggest whitespace first: where the client spends most with other banks.
    wallet = sorted(plan.wallet_lines.all(), key=lambda w: -w.whitespace) if plan else []
    context = {
        "account": account,
        "plan": plan,
        "wallet": wallet,
        "wallet_total": sum((w.potential for w in wallet), Decimal(0)),
        "current_total": sum((w.current for w in wallet), Decimal(0)),
        "whitespace_total": sum((w.whitespace for w in wallet), Decimal(0)),
        "services": list(plan.services.all()) if plan else [],
        "actions": list(plan.actions.select_related("owner")) if plan else [],
        "plan_required": TierPolicy.objects.filter(
            tier=account.tier, requires_account_plan=True
        ).exists(),
        "can_edit": selectors.account_can(user=user, account=account, right=Right.TIERING),
        "today": timezone.localdate(),
    }
    return render(request, "accounts/plans/plan_detail.html", context)


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk, right=Right.TIERING)
    plan = AccountPlan.objects.filter(account=account).first() or AccountPlan(account=account)
    data = request.POST if request.method == "POST" else None
    form = AccountPlanForm(data, instance=plan)
    wallet = WalletLineFormSet(data, instance=plan, prefix="wallet")
    services = ServiceItemFormSet(data, instance=plan, prefix="services")
    if request.method == "POST" and all([form.is_valid(), wallet.is_valid(), services.is_valid()]):
        plan_services.account_plan_save(plan=form.instance, user=user, formsets=(wallet, services))
        messages.success(request, _("Account plan saved."))
        return redirect("accounts:plan", pk=account.pk)
    return render(
        request,
        "accounts/plans/plan_form.html",
        {"account": account, "plan": plan, "form": form, "wallet": wallet, "services": services},
    )


def _action_form(
    request: HttpRequest, account: Account, plan: AccountPlan, action: PlanAction | None
) -> HttpResponse:
    form = PlanActionForm(
        request.POST or None, instance=action or PlanAction(plan=plan), account=account
    )
    if request.method == "POST" and form.is_valid():
        plan_services.plan_action_save(action=form.instance)
        messages.success(request, _("Action saved."))
        return redirect("accounts:plan", pk=account.pk)
    return render(
        request,
        "accounts/plans/action_form.html",
        {"account": account, "plan": plan, "action": action, "form": form},
    )


@login_required
def plan_action_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(user=request_user(request), pk=pk, right=Right.TIERING)
    return _action_form(request, account, _plan_or_404(account), None)


def _action_or_404(plan: AccountPlan, action_pk: int) -> PlanAction:
    try:
        return PlanAction.objects.get(plan=plan, pk=action_pk)
    except PlanAction.DoesNotExist as exc:
        raise Http404("No such action.") from exc


@login_required
def plan_action_edit(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    account = selectors.account_get_for_user(user=request_user(request), pk=pk, right=Right.TIERING)
    plan = _plan_or_404(account)
    return _action_form(request, account, plan, _action_or_404(plan, action_pk))


@login_required
@require_POST
def plan_action_status(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    """Mark an action done (or cancelled, or open again). Its owner may do this even when
    they only read the account (a team lead's action on a plan, for instance)."""
    user = request_user(request)
    account = selectors.account_get_for_user(user=user, pk=pk)
    action = _action_or_404(_plan_or_404(account), action_pk)
    if action.owner_id != user.pk:
        account = selectors.account_get_for_user(user=user, pk=pk, right=Right.TIERING)
    status = request.POST.get("status", PlanActionStatus.DONE)
    if status not in PlanActionStatus.values:
        messages.error(request, _("Unknown status."))
    else:
        plan_services.plan_action_set_status(action=action, user=user, status=status)
        messages.success(request, _("Action updated."))
    target = request.POST.get("next", "")
    if target == "home":
        return redirect("home")
    return redirect("accounts:plan", pk=account.pk)

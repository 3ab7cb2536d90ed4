"""Strategic reviews of an account and the quarterly coverage overview (issue 4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.rights import Right
from accounts.selectors import account_can, account_get_for_user
from kam.http import request_user
from kam.quarters import Quarter

from ..forms.interactions import follow_up_data, follow_up_formset
from ..forms.reviews import ReviewForm, SponsorForm
from ..models import AccountSponsor, StrategicReview
from ..selectors import reviews as selectors
from ..services import reviews as services

MISSING_PAGE_SIZE = 50


@login_required
def review_list(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    sponsor = AccountSponsor.objects.filter(account=account).select_related("executive").first()
    can_edit = account_can(user=user, account=account, right=Right.RELATIONSHIP)
    return render(
        request,
        "interactions/review_list.html",
        {
            "account": account,
            "reviews": selectors.review_list_for_account(account=account),
            "status": selectors.quarter_status_for_account(
                account=account, quarter=Quarter.current()
            ),
            "sponsor": sponsor,
            "sponsor_form": SponsorForm(
                initial={"executive": sponsor.executive_id if sponsor else None}
            )
            if can_edit
            else None,
            "can_edit": can_edit,
        },
    )


@login_required
def review_detail(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    review = selectors.review_get_for_account(account=account, pk=review_pk)
    return render(
        request,
        "interactions/review_detail.html",
        {
            "account": account,
            "review": review,
            "can_edit": account_can(user=user, account=account, right=Right.RELATIONSHIP),
        },
    )


def _form_page(request: HttpRequest, *, account_pk: int, review_pk: int | None) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=account_pk, right=Right.RELATIONSHIP)
    review: StrategicReview | None = None
    if review_pk is not None:
        review = selectors.review_get_for_account(account=account, pk=review_pk)
    data = request.POST if request.method == "POST" else None
    initial = (
        ReviewForm.initial_for(review) if review else {"status": StrategicReview.Status.SCHEDULED}
    )
    form = ReviewForm(data, initial=initial)
    formset = follow_up_formset(data, account=account)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = dict(form.cleaned_data)
        fields["executives"] = list(fields["executives"])
        try:
            if review is None:
                review = services.review_create(
                    account=account, user=user, actions=follow_up_data(formset), **fields
                )
                messages.success(request, _("Strategic review saved."))
            else:
                services.review_update(
                    review=review, user=user, actions=follow_up_data(formset), **fields
                )
                messages.success(request, _("Strategic review saved."))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect(review)
    return render(
        request,
        "interactions/review_form.html",
        {"account": account, "review": review, "form": form, "formset": formset},
    )


@login_required
def review_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, account_pk=pk, review_pk=None)


@login_required
def review_edit(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    return _form_page(request, account_pk=pk, review_pk=review_pk)


@login_required
@require_POST
def sponsor_set(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk, right=Right.RELATIONSHIP)
    form = SponsorForm(request.POST)
    if form.is_valid():
        try:
            services.account_sponsor_set(account=account, executive=form.cleaned_data["executive"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Executive sponsor saved."))
    else:
        messages.error(request, _("Choose an executive as sponsor."))
    return redirect("interactions:review_list", account.pk)


@login_required
def review_coverage(request: HttpRequest) -> HttpResponse:
    """Review coverage of a quarter by team: team leads see their team, executives all."""
    user = request_user(request)
    if not selectors.can_see_coverage(user):
        raise PermissionDenied(_("Review coverage is for team leads and executives."))
    current = Quarter.current()
    quarter = Quarter.parse(request.GET.get("quarter")) or current
    team_id: int | None
    try:
        team_id = int(request.GET["team"]) if request.GET.get("team") else None
    except ValueError:
        team_id = None
    rows = selectors.review_coverage_by_team(user=user, quarter=quarter)
    totals = {
        key: sum(row[key] for row in rows) for key in ("total", "held", "scheduled", "missing")
    }
    missing = selectors.review_missing_for_user(user=user, quarter=quarter, team_id=team_id)
    page = Paginator(missing, MISSING_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    quarters = [current]
    for _i in range(5):
        quarters.append(quarters[-1].previous())
    return render(
        request,
        "interactions/review_coverage.html",
        {
            "quarter": quarter,
            "quarters": quarters,
            "rows": rows,
            "totals": totals,
            "page": page,
            "query": query.urlencode(),
            "team_id": team_id,
            "team_name": next((r["team__name"] for r in rows if r["team_id"] == team_id), None),
            "is_current": quarter == current,
        },
    )

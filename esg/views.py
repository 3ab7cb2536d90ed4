"""E&S pages: a project's E&S section (its category's requirements, ESAP and independent
reviews) and the ESAP items due across the user's book. A project is reached through its lead
account by the one door (404 when not yours, 403 without the project right); writes go through
``esg.services``."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Project
from accounts.rights import Right
from accounts.selectors import account_can
from kam.forms import add_service_errors
from kam.http import request_user

from . import selectors, services
from .forms import EsapForm, EsapItemForm, EsReviewForm
from .models import Esap, EsapItem, EsReview

DUE_WITHIN_DAYS = 30


@login_required
def project_esg(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    project = selectors.project_get_for_user(user=user, pk=pk)
    section = selectors.es_section(project=project, today=timezone.localdate())
    return render(
        request,
        "esg/project_esg.html",
        {
            "project": project,
            "account": project.account,
            "section": section,
            "can_edit": account_can(user=user, account=project.account, right=Right.EDIT_PROJECTS),
        },
    )


def _form_page(
    request: HttpRequest, *, project: Project, form: ModelForm, title: str
) -> HttpResponse:
    return render(
        request,
        "esg/form.html",
        {"project": project, "account": project.account, "form": form, "title": title},
    )


def _save_page(
    request: HttpRequest,
    *,
    project: Project,
    form: ModelForm,
    save: Callable[[], object],
    saved: str,
    title: str,
) -> HttpResponse:
    """The one shape of every E&S form: valid input saved by its service (whose refusals
    land on the form's fields), then back to the project's E&S page."""
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, saved)
            return redirect(_back(project))
    return _form_page(request, project=project, form=form, title=title)


def _back(project: Project) -> str:
    return reverse("esg:project", args=[project.pk])


@login_required
def esap_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    esap = Esap.objects.filter(project=project).first() or Esap(project=project)
    form = EsapForm(request.POST or None, instance=esap)
    return _save_page(
        request,
        project=project,
        form=form,
        save=lambda: services.esap_save(esap=form.instance),
        saved=_("E&S action plan saved."),
        title=_("E&S action plan"),
    )


def _item_page(request: HttpRequest, project: Project, item: EsapItem) -> HttpResponse:
    form = EsapItemForm(request.POST or None, instance=item)
    return _save_page(
        request,
        project=project,
        form=form,
        save=lambda: services.esap_item_save(item=form.instance),
        saved=_("ESAP item saved."),
        title=_("Edit ESAP item") if item.pk else _("New ESAP item"),
    )


@login_required
def item_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    return _item_page(request, project, EsapItem(project=project))


@login_required
def item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    item = EsapItem.objects.filter(project=project, pk=item_pk).first()
    if item is None:
        raise Http404("No such ESAP item.")
    item.project = project
    return _item_page(request, project, item)


def _review_page(request: HttpRequest, project: Project, review: EsReview) -> HttpResponse:
    form = EsReviewForm(request.POST or None, instance=review, project=project)
    return _save_page(
        request,
        project=project,
        form=form,
        save=lambda: services.es_review_save(review=form.instance),
        saved=_("Independent E&S review saved."),
        title=(_("Edit independent E&S review") if review.pk else _("New independent E&S review")),
    )


@login_required
def review_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    return _review_page(request, project, EsReview(project=project))


@login_required
def review_edit(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(
        user=request_user(request), pk=pk, right=Right.EDIT_PROJECTS
    )
    review = EsReview.objects.filter(project=project, pk=review_pk).first()
    if review is None:
        raise Http404("No such review.")
    review.project = project
    return _review_page(request, project, review)


@login_required
def items_due(request: HttpRequest) -> HttpResponse:
    """ESAP items overdue or due within 30 days on the projects of the user's book."""
    user = request_user(request)
    today = timezone.localdate()
    items = list(
        selectors.esap_items_due_for_user(user=user, today=today, within_days=DUE_WITHIN_DAYS)[:500]
    )
    return render(
        request,
        "esg/items_due.html",
        {
            "rows": [(item, item.days_overdue(today)) for item in items],
            "within_days": DUE_WITHIN_DAYS,
            "today": today,
        },
    )

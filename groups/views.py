"""Client group pages: the list, a group's page, and the forms administrators and risk
officers keep groups with. Groups are reached through groups.selectors (404 unless one member
account is in your book); writes go through groups.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.selectors import account_list_for_user
from kam.forms import add_service_errors
from kam.http import request_user
from kam.links import link
from kam.models import User

from . import selectors, services
from .forms import ConnectionForm, GroupForm, MembershipForm
from .models import ClientGroup, ConnectedParty, GroupMembership

PAGE_SIZE = 25


def _manager(request: HttpRequest) -> User:
    user = request_user(request)
    if not selectors.user_manages_groups(user):
        raise PermissionDenied(_("Administrators and risk officers keep client groups."))
    return user


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    groups = selectors.group_list_for_user(user=user)
    query = request.GET.get("q", "").strip()
    if query:
        groups = groups.filter(
            Q(name_en__icontains=query)
            | Q(name_zh__icontains=query)
            | Q(parent__legal_name_en__icontains=query)
            | Q(parent__legal_name_zh__icontains=query)
        )
    page = Paginator(groups.order_by("name_en", "name_zh", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tiers = selectors.group_tiers([group.pk for group in page])
    rows = [
        {
            "group": group,
            "tiers": tiers.get(group.pk, []),
            "members": sum(n for _t, _l, n in tiers.get(group.pk, [])),
        }
        for group in page
    ]
    return render(
        request,
        "groups/group_list.html",
        {
            "page": page,
            "rows": rows,
            "q": query,
            "can_manage": selectors.user_manages_groups(user),
        },
    )


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    group = selectors.group_get_for_user(user=user, pk=pk)
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            **selectors.group_page(group=group, user=user),
            "can_manage": selectors.user_manages_groups(user),
        },
    )


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    submit: str,
    back: str,
    group: ClientGroup | None,
) -> HttpResponse:
    return render(
        request,
        "groups/form.html",
        {"form": form, "title": title, "submit": submit, "back": back, "group": group},
    )


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = GroupForm(request.POST or None, accounts=account_list_for_user(user=user))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(group=form.save(commit=False))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Group created."))
            return redirect("groups:detail", group.pk)
    return _form_page(
        request,
        form,
        title=_("New client group"),
        submit=_("Create the group"),
        back=link("groups:list"),
        group=None,
    )


@login_required
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    group = selectors.group_get_for_user(user=user, pk=pk)  # 404 before 403: says nothing
    _manager(request)
    form = GroupForm(request.POST or None, instance=group, accounts=Account.objects.none())
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(group=form.save(commit=False))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Group saved."))
            return redirect("groups:detail", group.pk)
    return _form_page(
        request,
        form,
        title=_("Edit the group"),
        submit=_("Save"),
        back=link("groups:detail", group.pk),
        group=group,
    )


def _members(group: ClientGroup) -> Any:
    return Account.objects.filter(group_membership__group=group).order_by(
        "legal_name_en", "legal_name_zh"
    )


@login_required
def membership_edit(
    request: HttpRequest, pk: int, membership_pk: int | None = None
) -> HttpResponse:
    user = request_user(request)
    group = selectors.group_get_for_user(user=user, pk=pk)  # 404 before 403: says nothing
    _manager(request)
    membership = (
        get_object_or_404(
            GroupMembership.objects.select_related("account"), pk=membership_pk, group=group
        )
        if membership_pk is not None
        else None
    )
    form = MembershipForm(
        request.POST or None,
        instance=membership,
        group=group,
        accounts=account_list_for_user(user=user),
        members=_members(group),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_save(membership=form.save(commit=False))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Member saved."))
            return redirect("groups:detail", group.pk)
    title = (
        _("Add a member")
        if membership is None
        else _("Edit %(account)s") % {"account": membership.account}
    )
    return _form_page(
        request,
        form,
        title=title,
        submit=_("Save"),
        back=link("groups:detail", group.pk),
        group=group,
    )


@require_POST
@login_required
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    user = request_user(request)
    group = selectors.group_get_for_user(user=user, pk=pk)  # 404 before 403: says nothing
    _manager(request)
    membership = get_object_or_404(
        GroupMembership.objects.select_related("group", "account"), pk=membership_pk, group=group
    )
    try:
        services.membership_delete(membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Member removed from the group."))
    return redirect("groups:detail", group.pk)


@login_required
def connection_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    group = selectors.group_get_for_user(user=user, pk=pk)  # 404 before 403: says nothing
    _manager(request)
    form = ConnectionForm(
        request.POST or None, accounts=account_list_for_user(user=user), members=_members(group)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.connected_party_save(connection=form.save(commit=False))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Connected party recorded."))
            return redirect("groups:detail", group.pk)
    return _form_page(
        request,
        form,
        title=_("Add a connected party"),
        submit=_("Save"),
        back=link("groups:detail", group.pk),
        group=group,
    )


@require_POST
@login_required
def connection_remove(request: HttpRequest, pk: int, connection_pk: int) -> HttpResponse:
    user = request_user(request)
    group = selectors.group_get_for_user(user=user, pk=pk)  # 404 before 403: says nothing
    _manager(request)
    members = _members(group)
    connection = get_object_or_404(
        ConnectedParty.objects.filter(Q(account__in=members) | Q(other__in=members)),
        pk=connection_pk,
    )
    services.connected_party_delete(connection=connection)
    messages.success(request, _("Connected party removed."))
    return redirect("groups:detail", group.pk)

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from .forms import AuditFilterForm
from .models import Heartbeat, User
from .selectors import audit_changes, audit_reads


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Compliance reads who changed what and who saw which sensitive record."""
    user = request.user
    assert isinstance(user, User)
    if not user.reads_audit_trail:
        raise PermissionDenied(_("Only compliance and administrators read the audit trail."))
    form = AuditFilterForm(request.GET or None)
    filters = {}
    kind = "changes"
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "user": data.get("user"),
            "account_id": data.get("account"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
        kind = data.get("kind") or "changes"
    rows = audit_reads(**filters) if kind == "reads" else audit_changes(**filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "kam/audit_trail.html",
        {"form": form, "page": page, "kind": kind, "query": query.urlencode()},
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language; a signed-in user's choice is kept on their profile."""
    language = request.POST.get("language", "")
    user = request.user
    if (
        isinstance(user, User)
        and user.is_authenticated
        and language in dict(User._meta.get_field("language").choices or [])
    ):
        User.objects.filter(pk=user.pk).update(language=language)
    return django_set_language(request)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and the demo: database reachable, last scheduled job."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    beat = Heartbeat.objects.filter(name="beat").first()
    age = (timezone.now() - beat.last_seen).total_seconds() if beat else None
    return JsonResponse(
        {"database": "ok", "last_beat_seconds_ago": round(age, 1) if age is not None else None}
    )

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from .models import Heartbeat, User
from .selectors import (
    user_session_get_for_user,
    user_session_list_for_user,
)
from .services import user_session_end, user_sessions_end


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's sessions: where and when each was last used, this one marked."""
    sessions = user_session_list_for_user(user=_signed_in_user(request))
    return render(
        request,
        "kam/session_list.html",
        {
            "sessions": sessions,
            "current_key": request.session.session_key,
            "seen_minutes": max(1, settings.USER_SESSION_SEEN_SECONDS // 60),
        },
    )


@login_required
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End one of one's own sessions (404 for anyone else's); ending this one signs out."""
    user_session = user_session_get_for_user(user=_signed_in_user(request), pk=pk)
    if user_session.session_id == request.session.session_key:
        logout(request)
        return redirect("login")
    user_session_end(user_session=user_session)
    messages.success(
        request, _("The session on %(device)s has ended.") % {"device": user_session.device}
    )
    return redirect("session_list")


@login_required
@require_POST
def session_end_others(request: HttpRequest) -> HttpResponse:
    """End every session of the user but this one."""
    ended = user_sessions_end(
        user_ids=[_signed_in_user(request).pk], keep_session_key=request.session.session_key
    )
    messages.success(
        request,
        ngettext(
            "%(count)d other session has ended.", "%(count)d other sessions have ended.", ended
        )
        % {"count": ended},
    )
    return redirect("session_list")


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

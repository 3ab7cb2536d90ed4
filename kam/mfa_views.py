"""The pages of two-step sign-in (kam.mfa): the code step after the password, enrolment,
the user's overview, new recovery codes and removal. Every code typed goes through
``mfa_code_check`` (access log, device throttling, django-axes)."""

from __future__ import annotations

from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .client_address import client_address
from .forms import MFACodeForm
from .mfa import (
    CodeCheck,
    mfa_authenticator,
    mfa_code_check,
    mfa_enrolment_confirm,
    mfa_enrolment_device,
    mfa_qr_svg,
    mfa_recovery_codes_regenerate,
    mfa_remove,
    mfa_required_by_role,
    mfa_secret_text,
    mfa_session_verified,
    mfa_session_verify,
    mfa_status,
)
from .models import User


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _next_url(request: HttpRequest) -> str:
    """Where to go once the step is done: the page asked for, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _refused(request: HttpRequest, form: MFACodeForm, check: CodeCheck) -> HttpResponse | None:
    """Put a refused code's reason on the form; a lock-out ends the session and answers as a
    locked sign-in does (429)."""
    if check.locked_out:
        username = _signed_in_user(request).get_username()
        logout(request)
        return get_lockout_response(request, credentials={"username": username})
    if check.throttled_until is not None:
        seconds = max(1, int((check.throttled_until - timezone.now()).total_seconds() + 0.999))
        form.add_error(
            "code",
            _("Too many wrong codes. Try again in %(seconds)d seconds.") % {"seconds": seconds},
        )
    else:
        form.add_error("code", _("That code is not right. Try again."))
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The code step after the password: a code from the authenticator app, or a recovery
    code."""
    user = _signed_in_user(request)
    next_url = _next_url(request)
    if mfa_session_verified(request):
        return redirect(next_url)
    if mfa_authenticator(user) is None:
        return redirect(_with_next("mfa:setup", next_url))
    form = MFACodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa_code_check(
            request=request, user=user, code=form.cleaned_data["code"], purpose="sign-in"
        )
        if check.device is not None:
            mfa_session_verify(request=request, device=check.device)
            return redirect(next_url)
        refused = _refused(request, form, check)
        if refused is not None:
            return refused
    return render(request, "kam/mfa/verify.html", {"form": form, "next": next_url})


@never_cache  # a secret, or codes shown once: never kept by a browser or proxy
@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan the QR code (or type the secret) into an authenticator app, then type
    its code; only then does the authenticator count, and the recovery codes are shown once."""
    user = _signed_in_user(request)
    next_url = _next_url(request)
    if mfa_authenticator(user) is not None:
        if mfa_session_verified(request):
            return redirect("mfa:overview")
        return redirect(_with_next("mfa:verify", next_url))
    device = mfa_enrolment_device(user=user)
    form = MFACodeForm(request.POST or None, authenticator_only=True)
    if request.method == "POST" and form.is_valid():
        check = mfa_code_check(
            request=request,
            user=user,
            code=form.cleaned_data["code"],
            purpose="enrolment",
            device=device,
        )
        if check.device is not None:
            codes = mfa_enrolment_confirm(request=request, user=user, device=device)
            return render(
                request,
                "kam/mfa/recovery_codes.html",
                {"codes": codes, "next": next_url, "enrolled": True},
            )
        refused = _refused(request, form, check)
        if refused is not None:
            return refused
    return render(
        request,
        "kam/mfa/setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": mfa_qr_svg(device),
            "secret": mfa_secret_text(device),
            "required": mfa_required_by_role(user),
        },
    )


@login_required
@require_http_methods(["GET"])
def mfa_overview(request: HttpRequest) -> HttpResponse:
    """The user's two-step sign-in: on or off, recovery codes left, what they may do."""
    return render(
        request, "kam/mfa/overview.html", {"status": mfa_status(_signed_in_user(request))}
    )


@never_cache  # a secret, or codes shown once: never kept by a browser or proxy
@login_required
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, after a current code: they replace the old ones and are shown once."""
    user = _signed_in_user(request)
    if mfa_authenticator(user) is None:
        return redirect("mfa:setup")
    form = MFACodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa_code_check(
            request=request, user=user, code=form.cleaned_data["code"], purpose="recovery codes"
        )
        if check.device is not None:
            codes = mfa_recovery_codes_regenerate(user=user, address=client_address(request))
            return render(
                request,
                "kam/mfa/recovery_codes.html",
                {"codes": codes, "next": reverse("mfa:overview"), "enrolled": False},
            )
        refused = _refused(request, form, check)
        if refused is not None:
            return refused
    return render(request, "kam/mfa/confirm.html", {"form": form, "action": "recovery_codes"})


@login_required
@require_http_methods(["GET", "POST"])
def mfa_remove_view(request: HttpRequest) -> HttpResponse:
    """Remove one's authenticator and recovery codes, after a current code; the user's other
    sessions end."""
    user = _signed_in_user(request)
    if mfa_authenticator(user) is None:
        return redirect("mfa:overview")
    form = MFACodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa_code_check(
            request=request, user=user, code=form.cleaned_data["code"], purpose="removal"
        )
        if check.device is not None:
            mfa_remove(request=request, user=user)
            if mfa_required_by_role(user):
                messages.warning(
                    request,
                    _(
                        "Two-step sign-in is off. Your role requires it: set up an "
                        "authenticator app to continue."
                    ),
                )
                return redirect("mfa:setup")
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("mfa:overview")
        refused = _refused(request, form, check)
        if refused is not None:
            return refused
    return render(request, "kam/mfa/confirm.html", {"form": form, "action": "remove"})

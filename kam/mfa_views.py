"""The pages of two-step sign-in (kam.mfa): the code step after the password, enrolment (with
the administrator's enrolment code after a reset), the user's overview, new recovery codes and
removal. Every code typed goes through kam.mfa (access log, device throttling, django-axes);
no page is kept by a browser or proxy (``never_cache``: secrets, codes shown once)."""

from __future__ import annotations

from collections.abc import Callable

from axes.helpers import get_lockout_response
from django import forms
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

from .forms import MFACodeForm, MFAEnrolmentCodeForm, MFAReauthenticationForm
from .mfa import (
    CodeCheck,
    mfa_authenticator,
    mfa_code_check,
    mfa_enrolment,
    mfa_enrolment_code_check,
    mfa_enrolment_code_outstanding,
    mfa_enrolment_confirm,
    mfa_enrolment_unlocked,
    mfa_password_check,
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


def _locked_out(request: HttpRequest) -> HttpResponse:
    """A lock-out ends the session and answers as a locked sign-in does (429)."""
    username = _signed_in_user(request).get_username()
    logout(request)
    return get_lockout_response(request, credentials={"username": username})


def _refused(request: HttpRequest, form: forms.Form, check: CodeCheck) -> HttpResponse | None:
    """Put a refused code's reason on the form, or answer a lock-out."""
    if check.locked_out:
        return _locked_out(request)
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
            mfa_session_verify(request=request, user=user, device=check.device)
            return redirect(next_url)
        refused = _refused(request, form, check)
        if refused is not None:
            return refused
    return render(request, "kam/mfa/verify.html", {"form": form, "next": next_url})


def _enrolment_code_step(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """After an administrator's reset: the one-time enrolment code they handed over, before
    any secret is shown."""
    issued = mfa_enrolment_code_outstanding(user)
    expired = issued is not None and issued.is_expired()
    form = MFAEnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and not expired and form.is_valid():
        check = mfa_enrolment_code_check(request=request, user=user, code=form.cleaned_data["code"])
        if check.accepted:
            return redirect(_with_next("mfa:setup", next_url))
        refused = _refused(request, form, check)
        if refused is not None:
            return refused
    return render(
        request,
        "kam/mfa/enrolment_code.html",
        {"form": form, "next": next_url, "expired": expired},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan the QR code (or type the secret) into an authenticator app, then type
    its code; only then does the authenticator exist, and the recovery codes are shown once.
    After an administrator's reset, the enrolment code they issued comes first."""
    user = _signed_in_user(request)
    next_url = _next_url(request)
    if mfa_authenticator(user) is not None:
        if mfa_session_verified(request):
            return redirect("mfa:overview")
        return redirect(_with_next("mfa:verify", next_url))
    if not mfa_enrolment_unlocked(request, mfa_enrolment_code_outstanding(user)):
        return _enrolment_code_step(request, user, next_url)
    enrolment = mfa_enrolment(request, user)
    form = MFACodeForm(request.POST or None, authenticator_only=True)
    if request.method == "POST" and form.is_valid():
        if enrolment.fresh:
            form.add_error(
                "code",
                _("The set-up took too long: scan the new QR code and type the code it gives."),
            )
        else:
            check = mfa_code_check(
                request=request,
                user=user,
                code=form.cleaned_data["code"],
                purpose="enrolment",
                enrolling=enrolment.device,
            )
            if check.accepted:
                codes = mfa_enrolment_confirm(request=request, user=user, device=enrolment.device)
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
            "qr_svg": mfa_qr_svg(enrolment.device),
            "secret": mfa_secret_text(enrolment.device),
            "required": mfa_required_by_role(user),
            "minutes": settings.MFA_ENROLMENT_SECONDS // 60,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def mfa_overview(request: HttpRequest) -> HttpResponse:
    """The user's two-step sign-in: on or off, recovery codes left, what they may do."""
    return render(
        request, "kam/mfa/overview.html", {"status": mfa_status(_signed_in_user(request))}
    )


def _reauthenticated(
    request: HttpRequest, *, action: str, purpose: str, act: Callable[[User], HttpResponse]
) -> HttpResponse:
    """A change of the factors (``action``: "recovery_codes" or "remove"; ``purpose`` for the
    access log): asks for the password and a current code (a recovery code will do), then
    ``act``s."""
    user = _signed_in_user(request)
    if mfa_authenticator(user) is None:
        return redirect("mfa:overview")
    form = MFAReauthenticationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = mfa_password_check(
            request=request, user=user, password=form.cleaned_data["password"]
        )
        if password.locked_out:
            return _locked_out(request)
        if not password.accepted:
            # The code is not checked (nor a recovery code used up) without the password.
            form.add_error("password", _("That password is not right."))
        else:
            check = mfa_code_check(
                request=request, user=user, code=form.cleaned_data["code"], purpose=purpose
            )
            if check.accepted:
                return act(user)
            refused = _refused(request, form, check)
            if refused is not None:
                return refused
    return render(request, "kam/mfa/confirm.html", {"form": form, "action": action})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, after the password and a current code: they replace the old ones and
    are shown once."""

    def regenerate(user: User) -> HttpResponse:
        codes = mfa_recovery_codes_regenerate(request=request, user=user)
        return render(
            request,
            "kam/mfa/recovery_codes.html",
            {"codes": codes, "next": reverse("mfa:overview"), "enrolled": False},
        )

    return _reauthenticated(
        request, action="recovery_codes", purpose="recovery codes", act=regenerate
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mfa_remove_view(request: HttpRequest) -> HttpResponse:
    """Remove one's authenticator and recovery codes, after the password and a current code;
    the user's other sessions end."""

    def remove(user: User) -> HttpResponse:
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

    return _reauthenticated(request, action="remove", purpose="removal", act=remove)

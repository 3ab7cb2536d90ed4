"""Two-step sign-in's pages (kam.mfa_views), under /mfa/."""

from django.urls import path

from . import mfa_views

app_name = "mfa"

urlpatterns = [
    path("", mfa_views.mfa_overview, name="overview"),
    path("verify/", mfa_views.mfa_verify, name="verify"),
    path("setup/", mfa_views.mfa_setup, name="setup"),
    path("recovery-codes/", mfa_views.mfa_recovery_codes, name="recovery_codes"),
    path("remove/", mfa_views.mfa_remove_view, name="remove"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import audit_views, views
from .forms import AdminLoginForm, LoginForm

admin.site.site_header = "KAM Portal"
admin.site.site_title = "KAM Portal"
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", include("dashboard.home_urls")),
    path("accounts/", include("dashboard.account_urls")),
    path("", include("interactions.urls")),
    path("service/", include("interactions.urls_service")),
    path("risk/", include("risk.urls")),
    path("groups/", include("groups.urls")),
    path("esg/", include("esg.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("privacy/", include("privacy.urls")),
    path("map/", include("relationships.urls")),
    path("audit/", audit_views.audit_trail, name="audit_trail"),
    path("audit/export.<str:fmt>", audit_views.audit_trail_export, name="audit_trail_export"),
    path("audit/verification/", audit_views.audit_verification, name="audit_verification"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("sessions/end-others/", views.session_end_others, name="session_end_others"),
    path("mfa/", include("kam.mfa_urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

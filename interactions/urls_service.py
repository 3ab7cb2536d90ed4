"""Service requests and the service-quality report, under /service/ (issue 5)."""

from django.urls import path

from .views import service as views

app_name = "service"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_create, name="create"),
    path("export.<str:fmt>", views.request_list_export, name="export"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.request_action, name="action"),
    path("reports/", views.report, name="report"),
    path("reports/export.csv", views.report_export, name="report_export"),
    path("reports/export.xlsx", views.report_export, {"fmt": "xlsx"}, name="report_export_xlsx"),
]

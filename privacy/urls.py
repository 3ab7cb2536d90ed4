from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/correct/", views.request_correct, name="request_correct"),
    path("requests/<int:pk>/export.<str:fmt>", views.request_export, name="request_export"),
    path("requests/<int:pk>/reveal/<str:field>/", views.request_reveal, name="request_reveal"),
    path(
        "accounts/<int:pk>/contacts/<int:contact_pk>/request/",
        views.contact_request,
        name="contact_request",
    ),
]

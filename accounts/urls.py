from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/reveal/<str:field>/",
        views.contact_reveal,
        name="contact_reveal",
    ),
    path("<int:pk>/projects/new/", views.project_create, name="project_create"),
    path("<int:pk>/projects/<int:project_pk>/edit/", views.project_edit, name="project_edit"),
]

from django.urls import path

from . import plan_views, project_views, views
from .tiering import views as tiering_views

app_name = "accounts"

urlpatterns = [
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
    path("<int:pk>/handover/", views.handover_request, name="handover_request"),
    path(
        "<int:pk>/handover/<int:handover_pk>/decide/",
        views.handover_decide,
        name="handover_decide",
    ),
    # Projects, reached through their lead account: figures, parties and facilities.
    path("<int:pk>/projects/new/", project_views.project_create, name="project_create"),
    path(
        "<int:pk>/projects/<int:project_pk>/",
        project_views.project_detail,
        name="project_detail",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/edit/",
        project_views.project_edit,
        name="project_edit",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/parties/new/",
        project_views.party_create,
        name="party_create",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/parties/<int:party_pk>/edit/",
        project_views.party_edit,
        name="party_edit",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/parties/<int:party_pk>/delete/",
        project_views.party_delete,
        name="party_delete",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/facilities/new/",
        project_views.facility_create,
        name="facility_create",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/facilities/<int:facility_pk>/edit/",
        project_views.facility_edit,
        name="facility_edit",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/facilities/<int:facility_pk>/delete/",
        project_views.facility_delete,
        name="facility_delete",
    ),
    # Tiering: score, history and manual overrides (maker–checker).
    path("<int:pk>/tiering/", tiering_views.account_tiering, name="tiering"),
    path("<int:pk>/tiering/override/", tiering_views.override_propose, name="override_propose"),
    path("overrides/", tiering_views.override_queue, name="override_queue"),
    path("overrides/<int:override_pk>/", tiering_views.override_detail, name="override_detail"),
    path(
        "overrides/<int:override_pk>/approve/",
        tiering_views.override_approve,
        name="override_approve",
    ),
    path(
        "overrides/<int:override_pk>/reject/", tiering_views.override_reject, name="override_reject"
    ),
    path(
        "overrides/<int:override_pk>/withdraw/",
        tiering_views.override_withdraw,
        name="override_withdraw",
    ),
    path(
        "overrides/<int:override_pk>/revoke/", tiering_views.override_revoke, name="override_revoke"
    ),
    # Account plans.
    path("<int:pk>/plan/", plan_views.plan_detail, name="plan"),
    path("<int:pk>/plan/edit/", plan_views.plan_edit, name="plan_edit"),
    path("<int:pk>/plan/actions/new/", plan_views.plan_action_create, name="plan_action_create"),
    path(
        "<int:pk>/plan/actions/<int:action_pk>/edit/",
        plan_views.plan_action_edit,
        name="plan_action_edit",
    ),
    path(
        "<int:pk>/plan/actions/<int:action_pk>/status/",
        plan_views.plan_action_status,
        name="plan_action_status",
    ),
]

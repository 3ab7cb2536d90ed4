"""URLs of the interactions app (shared by issues 4 and 5; add your paths in your section)."""

from django.urls import path

from .views import interactions as interaction_views
from .views import reviews as review_views

app_name = "interactions"

urlpatterns = [
    # ------------------------------------------------ interactions and follow-ups (issue 4)
    path("accounts/<int:pk>/interactions/", interaction_views.timeline, name="timeline"),
    path(
        "accounts/<int:pk>/interactions/export.<str:fmt>",
        interaction_views.timeline_export,
        name="timeline_export",
    ),
    path(
        "accounts/<int:pk>/interactions/new/",
        interaction_views.interaction_create,
        name="create",
    ),
    path(
        "accounts/<int:pk>/interactions/<int:interaction_pk>/",
        interaction_views.interaction_detail,
        name="detail",
    ),
    path(
        "accounts/<int:pk>/interactions/<int:interaction_pk>/edit/",
        interaction_views.interaction_edit,
        name="edit",
    ),
    path(
        "accounts/<int:pk>/follow-ups/<int:follow_up_pk>/toggle/",
        interaction_views.follow_up_toggle,
        name="follow_up_toggle",
    ),
    path(
        "notifications/<int:notification_pk>/read/",
        interaction_views.notification_read,
        name="notification_read",
    ),
    # ------------------------------------------------ strategic reviews (issue 4)
    path("accounts/<int:pk>/reviews/", review_views.review_list, name="review_list"),
    path("accounts/<int:pk>/reviews/new/", review_views.review_create, name="review_create"),
    path(
        "accounts/<int:pk>/reviews/<int:review_pk>/",
        review_views.review_detail,
        name="review_detail",
    ),
    path(
        "accounts/<int:pk>/reviews/<int:review_pk>/edit/",
        review_views.review_edit,
        name="review_edit",
    ),
    path("accounts/<int:pk>/sponsor/", review_views.sponsor_set, name="sponsor_set"),
    path("reviews/coverage/", review_views.review_coverage, name="review_coverage"),
]

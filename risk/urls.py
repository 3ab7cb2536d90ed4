from django.urls import path

from . import views, watchlist_views

app_name = "risk"

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/export.<str:fmt>", views.alert_list_export, name="alert_export"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/comment/", views.alert_comment, name="alert_comment"),
    path("alerts/<int:pk>/mitigate/", views.alert_mitigate, name="alert_mitigate"),
    path("alerts/<int:pk>/actions/", views.alert_action_add, name="alert_action_add"),
    path(
        "alerts/<int:pk>/actions/<int:action_pk>/done/",
        views.alert_action_done,
        name="alert_action_done",
    ),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("alerts/<int:pk>/dismiss/", views.alert_dismiss, name="alert_dismiss"),
    path("accounts/<int:pk>/alerts/new/", views.alert_raise, name="alert_raise"),
    path("accounts/<int:pk>/covenants/", views.account_covenants, name="account_covenants"),
    path("accounts/<int:pk>/covenants/new/", views.covenant_create, name="covenant_create"),
    path(
        "accounts/<int:pk>/covenants/figures/new/",
        views.covenant_test_create,
        name="covenant_test_create",
    ),
    path(
        "accounts/<int:pk>/covenants/waivers/new/",
        views.covenant_waiver_create,
        name="covenant_waiver_create",
    ),
    path(
        "accounts/<int:pk>/covenants/waivers/<int:waiver_pk>/decide/",
        views.covenant_waiver_decide,
        name="covenant_waiver_decide",
    ),
    path("accounts/<int:pk>/covenants/import/", views.covenant_import, name="covenant_import"),
    path("accounts/<int:pk>/esg/new/", views.esg_event_create, name="esg_event_create"),
    path(
        "accounts/<int:pk>/esg/<int:event_pk>/close/",
        views.esg_event_close,
        name="esg_event_close",
    ),
    path("watch-list/", watchlist_views.watch_list, name="watch_list"),
    path("watch-list/<int:pk>/", watchlist_views.watch_entry, name="watch_entry"),
    path("watch-list/<int:pk>/review/", watchlist_views.watch_review, name="watch_review"),
    path("watch-list/<int:pk>/remove/", watchlist_views.watch_remove, name="watch_remove"),
    path("accounts/<int:pk>/watch-list/new/", watchlist_views.watch_put, name="watch_put"),
    path("scans/", views.scan_list, name="scan_list"),
    path("scans/run/", views.scan_run, name="scan_run"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
]

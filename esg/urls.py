from django.urls import path

from . import views

app_name = "esg"

urlpatterns = [
    path("projects/<int:pk>/", views.project_esg, name="project"),
    path("projects/<int:pk>/plan/", views.esap_edit, name="esap_edit"),
    path("projects/<int:pk>/items/new/", views.item_create, name="item_create"),
    path("projects/<int:pk>/items/<int:item_pk>/edit/", views.item_edit, name="item_edit"),
    path("projects/<int:pk>/reviews/new/", views.review_create, name="review_create"),
    path("projects/<int:pk>/reviews/<int:review_pk>/edit/", views.review_edit, name="review_edit"),
    path("items/due/", views.items_due, name="items_due"),
]

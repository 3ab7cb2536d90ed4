from django.urls import path

from . import views

app_name = "relationships"

urlpatterns = [
    path("accounts/<int:pk>/", views.account_map, name="account"),
    path("groups/<int:pk>/", views.group_map, name="group"),
]

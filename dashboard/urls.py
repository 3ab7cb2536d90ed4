from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.executive, name="executive"),
    path("supervision/", views.supervision, name="supervision"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
]

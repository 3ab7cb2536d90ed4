"""The RM home, at the site's root."""

from django.urls import path

from . import book

urlpatterns = [
    path("", book.home, name="home"),
]

"""The ``accounts`` namespace, composed at the top of the house: the account list and its
export (pages that show every capability's figures, so they live here) before the accounts
app's own pages. The accounts app imports nothing above it."""

from django.urls import path

from accounts.urls import urlpatterns as account_urlpatterns

from . import book

app_name = "accounts"

urlpatterns = [
    path("", book.account_list, name="list"),
    path("export.<str:fmt>", book.account_list_export, name="export"),
    *account_urlpatterns,
]

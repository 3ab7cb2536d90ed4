"""What the views of every app ask of a request."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in portal user of a request, for views behind ``login_required``."""
    user = request.user
    assert isinstance(user, User)
    return user

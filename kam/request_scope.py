"""Values computed once per web request: what several queries of one page would otherwise
each recompute or fetch again (the generations and answers of kam.access_cache and
kam.data_cache, above all).

``RequestScopeMiddleware`` opens a scope around each request; ``remember(key, compute)``
returns the value computed first in the scope. Outside a request (Celery tasks, shell,
tests calling selectors directly) there is no scope and every call computes afresh. Code
that changes what a remembered value depends on calls ``forget()`` (kam.access_cache on a
change of access, kam.data_cache on any write), so a view that writes and then reads in one
request reads fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")
_scope: ContextVar[dict[Hashable, object] | None] = ContextVar("kam_request_scope", default=None)


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    store = _scope.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]  # type: ignore[return-value]


def forget() -> None:
    """Drop everything remembered in the current scope (after a write it depends on)."""
    store = _scope.get()
    if store:
        store.clear()


@contextmanager
def request_scope() -> Iterator[None]:
    """A scope: what is remembered inside is forgotten on the way out."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


class RequestScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            return self.get_response(request)

"""What `make bench` reads from the server: the SQL time and query count of each request.

``SqlTimingMiddleware`` is installed (outermost) only when ``KAM_BENCH_SQL_TIMING=1`` is set
(see kam/settings/base.py), as the bench runner (tests/benchmarks/run.py) starts gunicorn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

SQL_MS_HEADER = "X-Bench-SQL-ms"
QUERIES_HEADER = "X-Bench-Queries"


class _SqlTimer:
    """A ``connection.execute_wrapper``: sums the time and count of every statement run."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] | None,
        many: bool,
        context: Mapping[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class SqlTimingMiddleware:
    """Time the SQL of each request in the worker that serves it and report it in the
    response headers ``X-Bench-SQL-ms`` (milliseconds, float) and ``X-Bench-Queries``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timer = _SqlTimer()
        with connection.execute_wrapper(timer):
            response = self.get_response(request)
        response[SQL_MS_HEADER] = f"{timer.seconds * 1000:.3f}"
        response[QUERIES_HEADER] = str(timer.queries)
        return response

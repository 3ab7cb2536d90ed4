"""The SQL time and query count `make bench` reads from each response (kam.bench)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from kam.bench import QUERIES_HEADER, SQL_MS_HEADER, SqlTimingMiddleware
from kam.models import User


def test_sql_timing_middleware_reports_the_queries_of_the_request(db: None) -> None:
    def get_response(request: HttpRequest) -> HttpResponse:
        User.objects.count()
        User.objects.count()
        return HttpResponse("ok")

    response = SqlTimingMiddleware(get_response)(RequestFactory().get("/"))

    assert response.status_code == 200
    assert response[QUERIES_HEADER] == "2"
    assert response["X-Bench-Queries"] == "2"
    assert float(response[SQL_MS_HEADER]) >= 0
    assert float(response["X-Bench-SQL-ms"]) >= 0


def test_sql_timing_middleware_counts_nothing_outside_a_request(db: None) -> None:
    def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    User.objects.count()  # before the request: not its own
    response = SqlTimingMiddleware(get_response)(RequestFactory().get("/"))

    assert response[QUERIES_HEADER] == "0"
    assert float(response[SQL_MS_HEADER]) == 0

"""Bad input never fails a page: unknown filter values, impossible periods and tampered query
strings are ignored with a message; the lists behind the figures and the exports likewise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.test_templates import _assert_csp_clean

from .support import client_for

pytestmark = pytest.mark.django_db

TAMPERED = [
    "?period=2019Q1",
    "?period=2026Q9",
    "?period=9999Q1",
    "?period=%00%27",
    "?period=" + "Q" * 5000,
    "?team=abc",
    "?team=999999",
    "?team=-1",
    "?team=1&team=2",
    "?region=atlantis",
    "?tier=%3Cscript%3E",
    "?sector=%27%20OR%201%3D1--",
    "?sector=power&sector=water",
    "?period=&team=&region=&sector=&tier=",
    "?unknown=1&page=x",
]


@pytest.mark.parametrize("query", TAMPERED)
def test_tampered_dashboard_filters_never_fail(cast: Cast, query: str) -> None:
    client = client_for(cast.executive)
    for name in ("dashboard:executive", "dashboard:supervision"):
        response = client.get(reverse(name) + query)
        assert response.status_code == 200, (name, query)
        _assert_csp_clean(response.content.decode())
    export = client.get(reverse("dashboard:export", args=["tiers", "csv"]) + query)
    assert export.status_code == 200


def test_an_unknown_value_is_named_and_the_rest_applies(cast: Cast) -> None:
    response = client_for(cast.executive).get(
        reverse("dashboard:executive") + "?region=atlantis&tier=key"
    )
    body = response.content.decode()
    assert "Unknown region" in body and "atlantis" in body
    assert response.context["scope"].tier == "key"
    assert response.context["scope"].region == ""


def test_a_period_out_of_range_falls_back_to_this_quarter(cast: Cast) -> None:
    from kam.quarters import Quarter

    response = client_for(cast.executive).get(reverse("dashboard:executive") + "?period=2019Q1")
    assert response.context["scope"].quarter == Quarter.current()
    assert "last 8 quarters" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/?review=missing&quarter=20X6",
        "/accounts/?risk=purple&cadence=sometimes&equator=Z&green=maybe",
        "/accounts/?team=abc&sector=moon&project_region=mars",
        "/service/?quarter=2026Q7&sla=always&account_tier=gold&team=x&region=y",
        "/service/?state=all&quarter=%3Cscript%3E",
        "/risk/alerts/?account=abc&account_tier=x&region=y&sector=z&team=q",
        "/risk/alerts/?severity=9&age=forever",
    ],
)
def test_tampered_list_filters_never_fail(cast: Cast, url: str) -> None:
    for user in (cast.owner, cast.executive):
        response = client_for(user).get(url)
        assert response.status_code == 200, url
        export = url.split("?")[0] + ("export.csv" if not url.startswith("/risk") else "export.csv")
        export_response = client_for(user).get(export + "?" + url.split("?")[1])
        assert export_response.status_code == 200, export

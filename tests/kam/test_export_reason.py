"""An export of at least EXPORT_REASON_MIN_ROWS rows asks why it is needed, and the reason is
logged with it; a smaller export goes straight through."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_book(cast: Cast, settings: object) -> str:
    settings.EXPORT_REASON_MIN_ROWS = 3  # type: ignore[attr-defined]
    AccountFactory.create_batch(3, owner=cast.owner)
    return reverse("accounts:export", args=["csv"])


def test_a_large_export_asks_for_a_reason_first(client, cast: Cast, big_book: str) -> None:
    client.force_login(cast.owner)
    response = client.get(big_book, {"q": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'name="export_reason"' in body and 'name="q"' in body
    assert not AccessLog.objects.filter(action="export").exists()

    too_short = client.get(big_book, {"export_reason": "need"})
    assert too_short["Content-Type"].startswith("text/html")
    assert "is-invalid" in too_short.content.decode()
    assert not AccessLog.objects.filter(action="export").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_reason_is_logged_with_the_export(client, cast: Cast, big_book: str, fmt: str) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:export", args=[fmt])
    response = client.get(url, {"export_reason": "  Quarterly review   for the committee "})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    log = AccessLog.objects.get(action="export")
    assert log.detail["reason"] == "Quarterly review for the committee"
    assert "export_reason" not in log.detail.get("filters", {})

    client.force_login(cast.compliance)
    reads = client.get(reverse("audit_trail"), {"kind": "reads"}).content.decode()
    assert "Quarterly review for the committee" in reads


def test_a_small_export_does_not_ask(client, cast: Cast, settings: object) -> None:
    settings.EXPORT_REASON_MIN_ROWS = 1000  # type: ignore[attr-defined]
    client.force_login(cast.owner)
    response = client.get(reverse("accounts:export", args=["csv"]))
    assert response["Content-Disposition"].startswith("attachment")
    log = AccessLog.objects.get(action="export")
    assert "reason" not in log.detail

"""The security review of data-subject requests (README, "PIPL handling"): what the person wrote
and where to answer them are encrypted at rest (rows written before, by the migration), shown
masked (in full only through a logged reveal by compliance or an administrator), masked in
Django admin and the change log, never copied into the history; the copy for an access request
is exported under four eyes and noted in the history only once the file is produced; a short
``export_reason`` in the URL cannot break it; the selectors read accounts through the one door;
no page is kept by a cache."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from kam import crypto
from kam.exports import export_response
from kam.models import AccessLog
from privacy import selectors
from privacy.models import DataSubjectRequest, RequestEvent, RetentionRule
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory

from .support import client_for, make_request

pytestmark = pytest.mark.django_db

REPLY_TO = "wang.fang@sunrise.cn"
DETAILS = "Please send me everything you keep on me (Heron-Quartz 5510)"
NAME = "Zhou Min-Xiao"


def _detail(dsr: DataSubjectRequest) -> str:
    return reverse("privacy:request_detail", args=[dsr.pk])


def _export(dsr: DataSubjectRequest, fmt: str = "csv") -> str:
    return reverse("privacy:request_export", args=[dsr.pk, fmt])


@pytest.fixture
def person(cast: Cast) -> Any:
    return ContactFactory.create(
        account=cast.account, name="王芳", phone="13812345678", email=REPLY_TO
    )


@pytest.fixture
def asked(cast: Cast, person: Any) -> DataSubjectRequest:
    """An access request the account's owner recorded from the contact's row."""
    return make_request(
        user=cast.owner, kind="access", contact=person, reply_to=REPLY_TO, details=DETAILS
    )


# ---------------------------------------------------------------- encrypted, masked, revealed


def test_what_the_person_wrote_is_ciphertext_in_the_database(asked: DataSubjectRequest) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reply_to, details FROM privacy_datasubjectrequest WHERE id = %s", [asked.pk]
        )
        reply_to, details = cursor.fetchone()
    assert reply_to.startswith("fernet1:") and details.startswith("fernet1:")
    assert "wang.fang" not in reply_to + details and "Heron" not in reply_to + details
    fresh = DataSubjectRequest.objects.get(pk=asked.pk)
    assert (fresh.reply_to, fresh.details) == (REPLY_TO, DETAILS)


def test_the_page_masks_them_and_reveals_each_read_logged(
    cast: Cast, asked: DataSubjectRequest
) -> None:
    client = client_for(cast.compliance)
    page = client.get(_detail(asked)).content.decode()
    assert "w***@sunrise.cn" in page
    assert REPLY_TO not in page and "Heron-Quartz" not in page
    assert not AccessLog.objects.filter(action="reveal").exists()

    for field, value in (("reply_to", REPLY_TO), ("details", DETAILS)):
        url = reverse("privacy:request_reveal", args=[asked.pk, field])
        assert url in page
        assert value in client.post(url).content.decode()
        assert value in client.post(url, HTTP_HX_REQUEST="true").content.decode()
    reads = AccessLog.objects.filter(action="reveal", user=cast.compliance)
    assert sorted(reads.values_list("field", flat=True)) == [
        "privacy_request.details",
        "privacy_request.details",
        "privacy_request.reply_to",
        "privacy_request.reply_to",
    ]
    read = reads.first()
    assert read is not None and read.account_id == cast.account.pk
    assert read.detail["privacy_request"] == asked.pk
    assert "wang.fang" not in str(read.detail) + read.object_repr + read.field

    # An administrator reads them too; no one else, and a refused read logs nothing.
    url = reverse("privacy:request_reveal", args=[asked.pk, "reply_to"])
    assert REPLY_TO in client_for(cast.admin).post(url).content.decode()
    for user in (cast.owner, cast.lead, cast.executive, cast.risk, cast.outsider):
        assert client_for(user).post(url).status_code == 403
    assert client.get(url).status_code == 405
    assert (
        client.post(reverse("privacy:request_reveal", args=[asked.pk, "outcome"])).status_code
        == 404
    )
    assert AccessLog.objects.filter(action="reveal").count() == 5


def test_the_history_and_the_change_log_never_hold_what_the_person_wrote(
    cast: Cast, person: Any
) -> None:
    stranger = make_request(
        user=cast.compliance,
        kind="access",
        person_name=NAME,
        reply_to="By post to 88 Heron Road, Wuhan",
        details=DETAILS,
    )
    contact = make_request(
        user=cast.owner, kind="deletion", contact=person, reply_to=REPLY_TO, details=DETAILS
    )
    notes = " ".join(RequestEvent.objects.values_list("note", flat=True))
    assert "Heron" not in notes and "wang.fang" not in notes
    created = {
        dsr.pk: LogEntry.objects.get_for_object(dsr).get(action=LogEntry.Action.CREATE)
        for dsr in (stranger, contact)
    }
    logged = " ".join(str(e.changes) for e in created.values())
    assert "Heron" not in logged and "Zhou" not in logged and "wang.fang" not in logged
    assert created[stranger.pk].changes_dict["person_name"][1] == "********"
    assert created[stranger.pk].changes_dict["reply_to"][1] == "********"  # a postal address
    assert created[contact.pk].changes_dict["reply_to"][1] == "w***@sunrise.cn"
    assert created[contact.pk].changes_dict["details"][1] == "********"


def test_django_admin_shows_the_request_masked(cast: Cast, person: Any) -> None:
    dsr = make_request(
        user=cast.compliance, kind="access", person_name=NAME, reply_to=REPLY_TO, details=DETAILS
    )
    url = reverse("admin:privacy_datasubjectrequest_change", args=[dsr.pk])
    page = client_for(cast.admin).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "w***@sunrise.cn" in text and "Z***" in text
    assert REPLY_TO not in text and "Heron" not in text and NAME not in text
    assert "Encrypted: read it on the request" in text
    assert 'name="reply_to"' not in text and 'name="details"' not in text  # nothing to edit


# ---------------------------------------------------------------- the copy: four eyes


def test_the_copy_is_exported_by_someone_other_than_who_recorded_it(
    cast: Cast, person: Any
) -> None:
    mine = make_request(user=cast.compliance, kind="access", contact=person)
    client = client_for(cast.compliance)
    page = client.get(_detail(mine)).content.decode()
    assert "Four eyes" in page and _export(mine) not in page
    assert client.get(_export(mine)).status_code == 403
    assert client.get(_export(mine) + "?export_reason=I+really+need+it+now").status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()
    assert not RequestEvent.objects.filter(request=mine, action="exported").exists()

    # The administrator exports it; the export is logged, and noted in the history.
    response = client_for(cast.admin).get(_export(mine))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    log = AccessLog.objects.get(action="export")
    assert log.user == cast.admin and log.detail["privacy_request"] == mine.pk
    assert RequestEvent.objects.filter(request=mine, action="exported", by=cast.admin).exists()

    # Recorded by the account's owner: compliance exports it.
    theirs = make_request(user=cast.owner, kind="access", contact=person)
    assert client.get(_export(theirs)).status_code == 200


def test_the_history_notes_the_copy_only_when_the_file_is_produced(
    cast: Cast, asked: DataSubjectRequest
) -> None:
    client = client_for(cast.compliance)
    # Asked for a reason instead (a form, no file): nothing in the history.
    with mock.patch("privacy.views.export_response", return_value=HttpResponse("why?")):
        assert client.get(_export(asked)).content == b"why?"
    # The export failed: nothing either.
    client.raise_request_exception = False
    with mock.patch("privacy.views.export_response", side_effect=RuntimeError("disk full")):
        assert client.get(_export(asked)).status_code == 500
    assert not RequestEvent.objects.filter(request=asked, action="exported").exists()
    response = client.get(_export(asked, "xlsx"))
    assert response.status_code == 200
    assert list(
        RequestEvent.objects.filter(request=asked, action="exported").values_list("note", flat=True)
    ) == ["XLSX"]


def test_a_short_export_reason_in_the_url_neither_breaks_nor_replaces_the_request(
    cast: Cast, asked: DataSubjectRequest
) -> None:
    response = client_for(cast.compliance).get(_export(asked) + "?export_reason=x")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    log = AccessLog.objects.get(action="export")
    assert log.detail["reason"] == f"Data-subject access request #{asked.pk} (PIPL art. 45)"
    client_for(cast.admin).get(_export(asked) + "?export_reason=Something+else+entirely")
    assert (
        AccessLog.objects.filter(action="export")
        .latest("pk")
        .detail["reason"]
        .startswith("Data-subject access request")
    )


def test_the_reason_form_of_an_export_without_a_row_count_renders(cast: Cast) -> None:
    """An export that does not know its size (``count=None``) and needs a reason by its level
    asks for it: the form renders without the row count."""
    request = RequestFactory().get("/privacy/requests/1/export.csv", {"export_reason": "x"})
    request.user = cast.compliance
    response = export_response(
        request,
        user=cast.compliance,
        fmt="csv",
        name="copy",
        what="A copy of a contact",
        headers=["Value"],
        rows=[["13812345678"]],
        fields=["contact.phone"],
    )
    assert isinstance(response, HttpResponse) and response.status_code == 200
    assert not response.has_header("Content-Disposition")
    text = response.content.decode()
    assert "A copy of a contact" in text and "row" not in text.split("<h1", 1)[1].split("</p>")[0]
    assert not AccessLog.objects.filter(action="export").exists()


# ---------------------------------------------------------------- the one door


def test_the_selectors_read_accounts_through_the_one_door(cast: Cast, person: Any) -> None:
    """Compliance and administrators see every account; anyone else who reached these reads
    would see only their book."""
    elsewhere = AccountFactory.create(owner=cast.lead)  # outside the outsider's book
    far = ContactFactory.create(account=elsewhere, name="王芳芳")
    about_far = make_request(user=cast.lead, kind="access", contact=far)
    stranger = make_request(user=cast.compliance, kind="access", person_name=NAME)
    about_person = make_request(user=cast.owner, kind="access", contact=person)

    assert set(selectors.request_list(user=cast.compliance, status="all")) == {
        about_far,
        stranger,
        about_person,
    }
    assert set(selectors.request_list(user=cast.owner, status="all")) == {stranger, about_person}
    assert list(selectors.request_list(user=cast.outsider, status="all")) == [stranger]
    assert {c.pk for c in selectors.contact_search(user=cast.compliance, query="王芳")} == {
        person.pk,
        far.pk,
    }
    assert [c.pk for c in selectors.contact_search(user=cast.owner, query="王芳")] == [person.pk]
    assert selectors.contact_search(user=cast.outsider, query="13812345678") == []
    assert list(selectors.access_export_rows(user=cast.compliance, contact=far))
    with pytest.raises(Http404):
        list(selectors.access_export_rows(user=cast.owner, contact=far))


# ---------------------------------------------------------------- never cached


def test_no_privacy_page_may_be_kept_by_a_cache(
    cast: Cast, asked: DataSubjectRequest, person: Any
) -> None:
    correction = make_request(user=cast.owner, kind="correction", contact=person)
    client = client_for(cast.compliance)
    responses = {
        "detail": client.get(_detail(asked)),
        "correct": client.get(reverse("privacy:request_correct", args=[correction.pk])),
        "export": client.get(_export(asked)),
        "list": client.get(reverse("privacy:request_list")),
        "create": client.get(reverse("privacy:request_create")),
        "reveal": client.post(reverse("privacy:request_reveal", args=[asked.pk, "reply_to"])),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name
        assert "private" in response["Cache-Control"], name


# ---------------------------------------------------------------- the migration


MIGRATION_BEFORE = ("privacy", "0002_retention_defaults")
MIGRATION = ("privacy", "0003_encrypt_requests")


def _migrate(target: tuple[str, str] | None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor


def _raw_request(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reply_to, details FROM privacy_datasubjectrequest WHERE id = %s", [pk]
        )
        reply_to, details = cursor.fetchone()
    return reply_to, details


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_requests_and_empties_copied_notes() -> None:
    executor = _migrate(MIGRATION_BEFORE)
    try:
        old_apps = executor.loader.project_state([MIGRATION_BEFORE]).apps
        OldRequest = old_apps.get_model("privacy", "DataSubjectRequest")
        OldEvent = old_apps.get_model("privacy", "RequestEvent")
        today = dt.date.today()  # noqa: DTZ011 (a date column, any day will do)
        plain = OldRequest.objects.create(
            kind="access",
            person_name=NAME,
            reply_to=REPLY_TO,
            details=DETAILS,
            received_on=today,
            due_on=today,
        )
        empty = OldRequest.objects.create(
            kind="access", person_name="A", received_on=today, due_on=today
        )
        OldEvent.objects.create(request=plain, action="recorded", to_status="open", note=DETAILS)
        OldEvent.objects.create(request=plain, action="completed", to_status="done", note="Sent")

        _migrate(MIGRATION)
        reply_to, details = _raw_request(plain.pk)
        assert reply_to.startswith("fernet1:") and details.startswith("fernet1:")
        assert crypto.decrypt(reply_to) == REPLY_TO and crypto.decrypt(details) == DETAILS
        assert _raw_request(empty.pk) == ("", "")
        fresh = DataSubjectRequest.objects.get(pk=plain.pk)
        assert (fresh.reply_to, fresh.details, fresh.person_name) == (REPLY_TO, DETAILS, NAME)
        notes = dict(RequestEvent.objects.filter(request_id=plain.pk).values_list("action", "note"))
        assert notes == {"recorded": "", "completed": "Sent"}
        by_law = set(
            RetentionRule.objects.filter(required_by_law=True).values_list("legal_basis", flat=True)
        )
        assert by_law == {"hr", "legal_duty", "other_law"}

        # Reversing decrypts the columns again (the keys are needed for it).
        _migrate(MIGRATION_BEFORE)
        assert _raw_request(plain.pk) == (REPLY_TO, DETAILS)
    finally:
        _migrate(None)

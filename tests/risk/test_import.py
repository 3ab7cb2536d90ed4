"""Covenant figures imported from CSV: a file with any bad row is rejected whole, with a
report per row; a good file is saved in one go (new periods added, existing ones corrected)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Project
from risk.choices import CovenantSource
from risk.models import CovenantTest
from risk.services import covenant_tests_import
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

from .support import covenant, figure

pytestmark = pytest.mark.django_db


def _csv(*rows: str, header: str = "project_id,metric,period_end,value,note") -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8-sig"))


@pytest.fixture
def projects(cast: Cast) -> dict[str, Project]:
    mine = ProjectFactory.create(account=cast.account, name="Hami Solar")
    covenant(mine, "dscr", "1.20")
    covenant(mine, "llcr", "1.30")
    sibling = ProjectFactory.create(
        account=AccountFactory.create(owner=cast.owner), name="Other account's"
    )
    covenant(sibling)
    hidden = ProjectFactory.create(
        account=AccountFactory.create(owner=cast.outsider), name="Hidden"
    )
    covenant(hidden)
    return {"mine": mine, "sibling": sibling, "hidden": hidden}


def test_a_good_file_is_imported_whole(cast: Cast, projects: dict[str, Project]) -> None:
    p = projects["mine"].pk
    figure(projects["mine"], dt.date(2026, 3, 31), "1.10")
    result = covenant_tests_import(
        account=cast.account,
        user=cast.owner,
        upload=_csv(
            f"{p},dscr,2026-03-31,1.22,corrected certificate",
            f'{p},dscr,2026-06-30,"1,234.5",',
            f"{p},LLCR,2026-06-30,1.41,",
        ),
    )
    assert result.ok, (result.file_errors, [r.errors for r in result.rows])
    assert (result.created, result.updated) == (2, 1)
    tests = {
        (t.metric.code, t.period_end.isoformat()): t
        for t in CovenantTest.objects.select_related("metric")
    }
    assert str(tests[("dscr", "2026-03-31")].value) == "1.2200"
    assert str(tests[("dscr", "2026-06-30")].value) == "1234.5000"
    assert tests[("llcr", "2026-06-30")].source == CovenantSource.IMPORT
    assert tests[("llcr", "2026-06-30")].entered_by == cast.owner


def test_a_file_with_bad_rows_is_rejected_whole_with_a_report_per_row(
    cast: Cast, projects: dict[str, Project]
) -> None:
    p = projects["mine"].pk
    result = covenant_tests_import(
        account=cast.account,
        user=cast.owner,
        upload=_csv(
            f"{p},dscr,2026-06-30,1.31,good row",  # line 2: fine on its own
            f"{p},dscr,2026-06-31,abc,",  # line 3: no such date, not a number
            f"{projects['hidden'].pk},dscr,2026-06-30,1.2,",  # line 4: not the user's
            f"{projects['sibling'].pk},dscr,2026-06-30,1.2,",  # line 5: another account
            "999999,dscr,2026-06-30,1.2,",  # line 6: no such project
            f"{p},ebitda,2026-06-30,1.2,",  # line 7: unknown metric
            f"{p},debt_equity,2026-06-30,3.1,",  # line 8: no such covenant on the project
            f"{p},dscr,2026-06-30,1.32,",  # line 9: the same period twice
            f"{p},dscr,2026-09-30,NaN,",  # line 10: not a finite number
        ),
    )
    assert not result.ok
    errors = {row.line: row.errors for row in result.error_rows}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert any("period_end must be a date" in e for e in errors[3])
    assert any("value must be a number" in e for e in errors[3])
    assert errors[4] == [
        f"Project {projects['hidden'].pk} does not exist or you may not change it."
    ]
    assert errors[6] == ["Project 999999 does not exist or you may not change it."]
    assert "belongs to another account" in errors[5][0]
    assert "Unknown metric" in errors[7][0]
    assert "has no" in errors[8][0]
    assert "line 2" in errors[9][0]
    assert not CovenantTest.objects.exists()


def test_a_read_only_user_imports_nothing(cast: Cast, projects: dict[str, Project]) -> None:
    result = covenant_tests_import(
        account=cast.account,
        user=cast.executive,
        upload=_csv(f"{projects['mine'].pk},dscr,2026-06-30,1.31,"),
    )
    assert not result.ok
    assert not CovenantTest.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"project,metric\n1,dscr\n", "Missing columns"),
        (b"project_id,metric,period_end,value\n", "no rows"),
        (b"\xff\xfe\x00\x01garbage", "not text"),
    ],
)
def test_files_that_are_not_the_expected_csv_are_refused(
    cast: Cast, content: bytes, message: str
) -> None:
    result = covenant_tests_import(
        account=cast.account, user=cast.owner, upload=io.BytesIO(content)
    )
    assert not result.ok
    assert message in result.file_errors[0]


def test_the_import_page(cast: Cast, projects: dict[str, Project]) -> None:
    client = Client()
    client.force_login(cast.owner)
    url = reverse("risk:covenant_import", args=[cast.account.pk])
    p = projects["mine"].pk
    bad = SimpleUploadedFile("figures.csv", _csv(f"{p},dscr,2026-06-30,x,").getvalue())
    response = client.post(url, {"file": bad})
    assert response.status_code == 200
    assert "The file was rejected; nothing was imported." in response.content.decode()
    good = SimpleUploadedFile("figures.csv", _csv(f"{p},dscr,2026-06-30,1.3,").getvalue())
    response = client.post(url, {"file": good})
    assert response.status_code == 302
    assert CovenantTest.objects.count() == 1
    executive = Client()
    executive.force_login(cast.executive)
    assert executive.post(url, {"file": good}).status_code == 403

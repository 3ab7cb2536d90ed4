"""The E&S section of a project and the ESAP items due: reached through the project's lead
account by the one door. The owner and the account team edit; the executive reads; an RM of
another book gets a 404 whatever the URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from accounts.choices import PartyRole
from accounts.models import Project, ProjectParty
from esg.choices import EsapItemStatus, EsReviewOutcome
from esg.models import Esap, EsapItem, EsReview
from tests.conftest import Cast
from tests.esg.support import item, review, today
from tests.factories import AccountFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

# Session and user (2), the project's lead account id, the user's book, the account, the
# project, the ESAP, its items with their owners, the reviews with their reviewers (7): 9,
# whatever the number of items and reviews; 3 to spare for the layout.
ES_PAGE_BUDGET = 12


def _project(cast: Cast, category: str = "A") -> Project:
    return ProjectFactory.create(account=cast.account, equator_category=category, name="Hydro")


def test_the_owner_sees_what_a_category_a_project_is_missing(client: Client, cast: Cast) -> None:
    project = _project(cast)
    client.force_login(cast.owner)
    response = client.get(reverse("esg:project", args=[project.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Category A project without an independent E&amp;S review." in body
    assert "Category A project without an E&amp;S action plan (ESAP)." in body
    assert reverse("esg:item_create", args=[project.pk]) in body

    item(project, due_in=-3)
    review(project)
    body = client.get(reverse("esg:project", args=[project.pk])).content.decode()
    assert "without an" not in body
    assert "1 overdue" in body


def test_a_category_c_project_requires_nothing(client: Client, cast: Cast) -> None:
    project = _project(cast, "C")
    client.force_login(cast.owner)
    response = client.get(reverse("esg:project", args=[project.pk]))
    assert response.context["section"].gaps == []


@pytest.mark.parametrize("name", ["project", "esap_edit", "item_create", "review_create"])
def test_another_rm_gets_a_404(client: Client, cast: Cast, name: str) -> None:
    project = _project(cast)
    client.force_login(cast.outsider)
    assert client.get(reverse(f"esg:{name}", args=[project.pk])).status_code == 404
    assert client.post(reverse(f"esg:{name}", args=[project.pk]), {}).status_code == 404


def test_another_rm_gets_a_404_on_an_item_and_a_review(client: Client, cast: Cast) -> None:
    project = _project(cast)
    existing, done = item(project), review(project)
    client.force_login(cast.outsider)
    url = reverse("esg:item_edit", args=[project.pk, existing.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("esg:review_edit", args=[project.pk, done.pk])).status_code == 404
    # An item of a project of the outsider's own book is not reached through another project.
    own = ProjectFactory.create(account=AccountFactory.create(owner=cast.outsider))
    assert client.get(reverse("esg:item_edit", args=[own.pk, existing.pk])).status_code == 404


def test_a_missing_project_is_a_404(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    assert client.get(reverse("esg:project", args=[999999])).status_code == 404


def test_the_executive_reads_but_does_not_edit(client: Client, cast: Cast) -> None:
    project = _project(cast)
    client.force_login(cast.executive)
    response = client.get(reverse("esg:project", args=[project.pk]))
    assert response.status_code == 200
    assert reverse("esg:item_create", args=[project.pk]) not in response.content.decode()
    assert client.get(reverse("esg:item_create", args=[project.pk])).status_code == 403


def test_the_account_team_adds_an_item_and_marks_it_done(client: Client, cast: Cast) -> None:
    project = _project(cast)
    client.force_login(cast.teammate)
    due = today() + timedelta(days=20)
    response = client.post(
        reverse("esg:item_create", args=[project.pk]),
        {
            "action": "Resettlement action plan",
            "standard": "ifc_ps5",
            "reference": "PS5 §19",
            "owner_user": cast.owner.pk,
            "due_date": due.isoformat(),
            "status": "open",
        },
    )
    assert response.status_code == 302
    saved = EsapItem.objects.get(project=project)
    assert (saved.owner_user, saved.due_date, saved.completed_on) == (cast.owner, due, None)
    entry = LogEntry.objects.get_for_object(saved).get()
    assert entry.additional_data == {"account_id": cast.account.pk, "project_id": project.pk}

    response = client.post(
        reverse("esg:item_edit", args=[project.pk, saved.pk]),
        {
            "action": saved.action,
            "standard": "ifc_ps5",
            "owner_user": cast.owner.pk,
            "due_date": due.isoformat(),
            "status": "done",
            "evidence": "Compensation paid; receipts on file.",
        },
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.status, saved.completed_on) == (EsapItemStatus.DONE, today())


def test_an_item_needs_an_owner_and_a_waiver_a_reason(client: Client, cast: Cast) -> None:
    project = _project(cast)
    client.force_login(cast.owner)
    response = client.post(
        reverse("esg:item_create", args=[project.pk]),
        {
            "action": "Biodiversity plan",
            "standard": "ifc_ps6",
            "due_date": today().isoformat(),
            "status": "waived",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "owner_contact" in errors and "evidence" in errors
    assert not EsapItem.objects.exists()


def test_the_esap_agreement_is_recorded(client: Client, cast: Cast) -> None:
    project = _project(cast)
    client.force_login(cast.owner)
    agreed = today() - timedelta(days=100)
    response = client.post(
        reverse("esg:esap_edit", args=[project.pk]),
        {"agreed_on": agreed.isoformat(), "note": "Schedule 7 of the facility agreement."},
    )
    assert response.status_code == 302
    assert Esap.objects.get(project=project).agreed_on == agreed


def test_the_reviewer_is_the_projects_independent_engineer(client: Client, cast: Cast) -> None:
    project = _project(cast)
    engineer, stranger = AccountFactory.create(), AccountFactory.create()
    ProjectParty.objects.create(
        project=project, account=engineer, role=PartyRole.INDEPENDENT_ENGINEER
    )
    client.force_login(cast.owner)
    url = reverse("esg:review_create", args=[project.pk])
    data = {
        "review_date": today().isoformat(),
        "outcome": EsReviewOutcome.FINDINGS,
        "findings": "Grievance log behind.",
        "next_review_date": (today() + timedelta(days=180)).isoformat(),
    }
    response = client.post(url, {**data, "reviewer_account": stranger.pk})
    assert response.status_code == 200 and "reviewer_account" in response.context["form"].errors
    assert client.post(url, {**data, "reviewer_account": engineer.pk}).status_code == 302
    assert EsReview.objects.get(project=project).reviewer_account == engineer
    # The model refuses an account that is no independent engineer of the project, whoever saves.
    with pytest.raises(Exception, match="not the project's independent engineer"):
        review(project, reviewer_account=stranger, reviewer_name="")


def test_without_an_engineer_the_reviewer_is_named(client: Client, cast: Cast) -> None:
    project = _project(cast)
    client.force_login(cast.owner)
    url = reverse("esg:review_create", args=[project.pk])
    response = client.get(url)
    assert "reviewer_account" not in response.context["form"].fields
    data = {"review_date": today().isoformat(), "outcome": EsReviewOutcome.COMPLIANT}
    assert "reviewer_name" in client.post(url, data).context["form"].errors
    assert client.post(url, {**data, "reviewer_name": "ERM"}).status_code == 302


def test_items_due_list_only_the_users_book(client: Client, cast: Cast) -> None:
    mine = _project(cast)
    theirs = ProjectFactory.create(account=AccountFactory.create(owner=cast.outsider))
    late = item(mine, due_in=-10, action="Late action of ours")
    item(mine, due_in=200, action="Far ahead")
    item(mine, due_in=-40, action="Finished", status=EsapItemStatus.DONE)
    item(theirs, due_in=-5, action="Another book's action")
    client.force_login(cast.owner)
    response = client.get(reverse("esg:items_due"))
    assert [(row.pk, days) for row, days in response.context["rows"]] == [(late.pk, 10)]
    body = response.content.decode()
    assert "Another book" not in body and "10 days overdue" in body
    client.force_login(cast.outsider)
    rows = client.get(reverse("esg:items_due")).context["rows"]
    assert [row.action for row, _days in rows] == ["Another book's action"]


@pytest.mark.parametrize("rows", [3, 60])
def test_es_page_query_budget(
    client: Client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    project = _project(cast)
    engineer = AccountFactory.create()
    ProjectParty.objects.create(
        project=project, account=engineer, role=PartyRole.INDEPENDENT_ENGINEER
    )
    owners = UserFactory.create_batch(3)
    for n in range(rows):
        item(project, due_in=n - 5, owner_user=owners[n % 3], owner_contact="")
        review(project, review_date=today() - timedelta(days=n + 1), reviewer_account=engineer)
    client.force_login(cast.teammate)
    with django_assert_max_num_queries(ES_PAGE_BUDGET):
        response = client.get(reverse("esg:project", args=[project.pk]))
    assert response.status_code == 200
    assert len(response.context["section"].items) == rows


@pytest.mark.parametrize("rows", [3, 60])
def test_items_due_query_budget(
    client: Client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    for n in range(rows):
        project = ProjectFactory.create(account=cast.account, commitment=0)
        item(project, due_in=-n)
    client.force_login(cast.owner)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("esg:items_due"))
    assert len(response.context["rows"]) == rows

"""Service request pages: what the owner, a teammate, the team lead, a read-only executive and
an outsider each get; bad input through the forms; CSP-clean pages; query budgets."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from interactions.models import ServiceRequest
from interactions.models.service import RequestState
from interactions.services.service import service_request_respond
from kam.models import User
from tests.conftest import Cast
from tests.factories import AccountFactory
from tests.interactions.sla_support import at, channel, open_request, set_policy
from tests.test_templates import _assert_csp_clean

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sr(cast: Cast) -> ServiceRequest:
    set_policy("standard", "high", 2, 16)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        return open_request(cast.account, subject="Waiver request for DSCR test")


@pytest.fixture
def other_sr(cast: Cast) -> ServiceRequest:
    """A request of an account of the other team, which the owner must not see."""
    account = AccountFactory.create(owner=cast.outsider, team=cast.other_team)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        return open_request(account, subject="Other team's request")


@pytest.mark.parametrize(
    ("who", "sees"),
    [("owner", True), ("teammate", True), ("lead", True), ("executive", True), ("outsider", False)],
)
def test_list_shows_only_visible_requests(
    cast: Cast, sr: ServiceRequest, other_sr: ServiceRequest, who: str, sees: bool
) -> None:
    body = _client(getattr(cast, who)).get(reverse("service:list")).content.decode()
    assert (sr.subject in body) is sees
    if who in ("owner", "teammate", "lead"):
        assert other_sr.subject not in body


@pytest.mark.parametrize(
    ("who", "status", "can_act"),
    [
        ("owner", 200, True),
        ("teammate", 200, True),
        ("lead", 200, True),
        ("executive", 200, False),
        ("risk", 200, False),
        ("outsider", 404, False),
    ],
)
def test_detail_per_role(
    cast: Cast, sr: ServiceRequest, who: str, status: int, can_act: bool
) -> None:
    response = _client(getattr(cast, who)).get(sr.get_absolute_url())
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert (reverse("service:action", args=[sr.pk, "respond"]) in body) is can_act


@pytest.mark.parametrize(
    ("who", "status", "state"),
    [
        ("owner", 302, "responded"),
        ("teammate", 302, "responded"),
        ("executive", 403, "new"),
        ("compliance", 403, "new"),
        ("outsider", 404, "new"),
    ],
)
def test_transitions_per_role(
    cast: Cast, sr: ServiceRequest, who: str, status: int, state: str
) -> None:
    url = reverse("service:action", args=[sr.pk, "respond"])
    response = _client(getattr(cast, who)).post(url, {"respond-note": "Called back."})
    assert response.status_code == status
    sr.refresh_from_db()
    assert sr.state == state


def test_a_response_before_the_opening_is_refused_in_the_form(
    cast: Cast, sr: ServiceRequest
) -> None:
    url = reverse("service:action", args=[sr.pk, "respond"])
    response = _client(cast.owner).post(url, {"respond-responded_at": "2026-11-22T10:00"})
    assert response.status_code == 400
    assert "cannot be before the request was opened" in response.content.decode()
    sr.refresh_from_db()
    assert sr.state == RequestState.NEW and sr.events.count() == 1


def test_resolving_without_a_response_is_refused_in_the_form(
    cast: Cast, sr: ServiceRequest
) -> None:
    url = reverse("service:action", args=[sr.pk, "resolve"])
    response = _client(cast.owner).post(url, {"resolve-note": "Done."})
    assert response.status_code == 400
    assert "never responded to" in response.content.decode()
    sr.refresh_from_db()
    assert sr.state == RequestState.NEW


def test_unknown_actions_are_refused(cast: Cast, sr: ServiceRequest) -> None:
    url = reverse("service:action", args=[sr.pk, "delete"])
    assert _client(cast.owner).post(url).status_code == 403
    assert (
        _client(cast.owner).get(reverse("service:action", args=[sr.pk, "respond"])).status_code
        == 405
    )


def test_create_for_an_own_account(cast: Cast) -> None:
    set_policy("standard", "urgent", 8, 40)
    client = _client(cast.owner)
    with time_machine.travel(at(2026, 11, 27, 16), tick=False):
        form = client.get(reverse("service:create") + f"?account={cast.account.pk}")
        assert form.status_code == 200
        response = client.post(
            reverse("service:create"),
            {
                "account": cast.account.pk,
                "channel": channel("wechat").pk,
                "priority": "urgent",
                "subject": "Urgent: drawdown notice",
                "description": "Needs the notice before Monday.",
            },
        )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    # Urgent, standard tier: 8 business hours from Fri 16:00 → Mon 30 Nov 15:00.
    assert created.first_response_due == at(2026, 11, 30, 15)
    assert created.opened_by == cast.owner and created.assignee == cast.owner


def test_create_refuses_foreign_and_read_only_accounts_and_bad_input(cast: Cast) -> None:
    url = reverse("service:create")
    assert _client(cast.outsider).get(url + f"?account={cast.account.pk}").status_code == 404
    assert _client(cast.executive).get(url + f"?account={cast.account.pk}").status_code == 403
    data = {
        "account": cast.account.pk,
        "channel": channel().pk,
        "priority": "high",
        "subject": "Sneaky",
    }
    response = _client(cast.outsider).post(url, data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    future = _client(cast.owner).post(url, {**data, "opened_at": "2099-01-01T10:00"})
    assert "cannot be opened in the future" in future.content.decode()
    assert not ServiceRequest.objects.exists()


def test_list_sorts_by_due_time(cast: Cast) -> None:
    set_policy("standard", "urgent", 1, 8)
    set_policy("standard", "low", 8, 40)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        late = open_request(cast.account, priority="low", subject="low")
        soon = open_request(cast.account, priority="urgent", subject="urgent")
        done = open_request(cast.account, priority="urgent", subject="answered")
        service_request_respond(request=done, user=cast.owner)
    with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False):
        response = _client(cast.owner).get(reverse("service:list"))
    subjects = [row.subject for row in response.context["page"].object_list]
    # urgent: due 10:00; low: due 17:00; answered: resolution due Mon 17:00 too, opened later.
    assert subjects[0] == "urgent"
    assert set(subjects) == {late.subject, soon.subject, done.subject}


def test_home_shows_my_open_requests_with_clocks(cast: Cast, sr: ServiceRequest) -> None:
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        body = _client(cast.owner).get(reverse("home")).content.decode()
    assert "My open service requests" in body
    assert sr.subject in body
    assert "1h left" in body  # first response due 11:00
    with time_machine.travel(at(2026, 11, 23, 12, 30), tick=False):
        body = _client(cast.owner).get(reverse("home")).content.decode()
    assert "1h 30m overdue" in body


def test_request_page_shows_the_clock_and_the_history(cast: Cast, sr: ServiceRequest) -> None:
    with time_machine.travel(at(2026, 11, 23, 10, 15), tick=False):
        body = _client(cast.owner).get(sr.get_absolute_url()).content.decode()
    assert "45m left" in body
    assert "2026-11-23 11:00" in body  # first response due
    assert "Opened" in body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_service_pages_are_csp_clean(cast: Cast, sr: ServiceRequest, language: str) -> None:
    pages = {
        cast.owner: [
            reverse("service:list"),
            reverse("service:list") + "?state=all&priority=high&tier=standard&mine=on",
            reverse("service:create"),
            sr.get_absolute_url(),
            reverse("home"),
        ],
        cast.executive: [
            reverse("service:report"),
            reverse("service:report") + "?period=custom&date_from=2026-01-01&date_to=2026-12-31",
            reverse("service:report") + "?period=custom&date_from=2026-12-01&date_to=2026-01-01",
            sr.get_absolute_url(),
        ],
    }
    for user, urls in pages.items():
        client = _client(user)
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            _assert_csp_clean(response.content.decode())


# ---------------------------------------------------------------- query budgets

LIST_BUDGET = 9
DETAIL_BUDGET = 12
# The service section of the RM home: its two queries, the user's roles and the ids of the
# accounts they may see (each read once per user object: once per request).
HOME_EXTRA = 4


def _many(cast: Cast, count: int) -> None:
    set_policy("standard", "high", 2, 16)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        for index in range(count):
            open_request(cast.account, subject=f"Request {index}")


@pytest.mark.parametrize("rows", [3, 60])
@pytest.mark.parametrize("who", ["owner", "lead", "executive"])
def test_list_query_budget(cast: Cast, django_assert_max_num_queries, rows: int, who: str) -> None:
    _many(cast, rows)
    client = _client(getattr(cast, who))
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(reverse("service:list"), {"state": "all"})
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("events", [1, 40])
def test_detail_query_budget(
    cast: Cast, sr: ServiceRequest, django_assert_max_num_queries, events: int
) -> None:
    from interactions.services.service import service_request_assign

    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        for index in range(events - 1):
            service_request_assign(
                request=sr, user=cast.owner, assignee=cast.teammate if index % 2 else cast.owner
            )
    client = _client(cast.owner)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(sr.get_absolute_url())
    assert len(response.context["events"]) == events


@pytest.mark.parametrize("rows", [3, 60])
def test_home_service_section_query_budget(
    cast: Cast, django_assert_max_num_queries, rows: int
) -> None:
    from interactions.selectors.service import service_home_for_user

    _many(cast, rows)
    with django_assert_max_num_queries(HOME_EXTRA):
        home = service_home_for_user(user=cast.owner)
    assert home.open_count == rows and len(home.requests) == min(rows, 8)


def test_account_page_lists_open_requests(cast: Cast, sr: ServiceRequest) -> None:
    url = reverse("accounts:detail", args=[cast.account.pk])
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        owner_page = _client(cast.owner).get(url).content.decode()
        read_only = _client(cast.executive).get(url).content.decode()
    new_url = reverse("service:create") + f"?account={cast.account.pk}"
    assert sr.subject in owner_page and "1h left" in owner_page
    assert new_url in owner_page
    assert sr.subject in read_only and new_url not in read_only
    _assert_csp_clean(owner_page)


def test_home_counts_only_requests_on_accounts_the_user_may_see(cast: Cast) -> None:
    """Assigned to me on an account no longer mine (reassigned since): neither listed nor
    counted. The book in hand and the SQL filter (an executive reads all) agree."""
    from interactions.selectors.service import service_home_for_user

    _many(cast, 2)
    elsewhere = AccountFactory.create(owner=cast.outsider)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        hidden = open_request(elsewhere, subject="Not yours any more")
        for_exec = open_request(elsewhere, subject="For the executive")
    ServiceRequest.objects.filter(pk=hidden.pk).update(assignee=cast.owner)
    ServiceRequest.objects.filter(pk=for_exec.pk).update(assignee=cast.executive)
    with time_machine.travel(at(2026, 11, 24, 9), tick=False):
        mine = service_home_for_user(user=cast.owner)
        executive = service_home_for_user(user=cast.executive)
    assert mine.open_count == 2 and hidden.pk not in [r.pk for r in mine.requests]
    assert [r.subject for r in mine.requests] == ["Request 1", "Request 0"]  # ties: newest first
    assert mine.overdue_count == 2  # two business hours to answer, a day later
    assert executive.open_count == 1 and [r.pk for r in executive.requests] == [for_exec.pk]

"""Strategic reviews: bad input, quarter assignment, the coverage overview per role."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from interactions.models import AccountSponsor, StrategicReview
from interactions.selectors.reviews import (
    accounts_missing_review,
    review_coverage_by_team,
)
from interactions.services.reviews import account_sponsor_set, review_create, review_update
from kam.quarters import Quarter
from tests.conftest import Cast
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _strategic(cast: Cast) -> None:
    cast.account.tier = "strategic"
    cast.account.status = "active"
    cast.account.save()


def _review_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "status": "scheduled",
        "scheduled_at": (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Beijing head office",
        "agenda": "Pipeline and ESG",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


def test_a_review_held_without_an_executive_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as err:
        review_create(
            account=cast.account,
            user=cast.owner,
            status="held",
            scheduled_at=timezone.now() - dt.timedelta(days=1),
            location="HQ",
        )
    assert "executive" in err.value.message_dict["executives"][0]
    assert not StrategicReview.objects.exists()


def test_a_review_cannot_be_held_in_the_future(cast: Cast) -> None:
    with pytest.raises(ValidationError) as err:
        review_create(
            account=cast.account,
            user=cast.owner,
            status="held",
            scheduled_at=timezone.now() + dt.timedelta(days=1),
            location="HQ",
            executives=[cast.executive],
        )
    assert "scheduled_at" in err.value.message_dict


def test_only_executives_attend_as_executives(cast: Cast) -> None:
    with pytest.raises(ValidationError) as err:
        review_create(
            account=cast.account,
            user=cast.owner,
            scheduled_at=timezone.now() + dt.timedelta(days=1),
            location="HQ",
            executives=[cast.lead],
        )
    assert "Executive role" in err.value.message_dict["executives"][0]


def test_the_page_refuses_held_without_executive_with_a_clear_message(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("interactions:review_create", args=[cast.account.pk]),
        _review_form(status="held", scheduled_at=past),
    )
    assert response.status_code == 200
    assert "at least one executive" in response.context["form"].errors["executives"][0]
    # A non-executive posted as attendee is not a valid choice.
    response = client.post(
        reverse("interactions:review_create", args=[cast.account.pk]),
        _review_form(status="held", scheduled_at=past, executives=[cast.lead.pk]),
    )
    assert "Executive role" in response.context["form"].errors["executives"][0]
    assert not StrategicReview.objects.exists()


def test_scheduling_then_recording_through_the_pages(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("interactions:review_create", args=[cast.account.pk]),
        _review_form(executives=[cast.executive.pk], video_link="https://zoom.us/j/123"),
    )
    assert response.status_code == 302
    review = StrategicReview.objects.get()
    assert review.status == "scheduled"
    assert (review.year, review.quarter) == (Quarter.current().year, Quarter.current().quarter)
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = client.post(
        reverse("interactions:review_edit", args=[cast.account.pk, review.pk]),
        _review_form(
            status="held",
            scheduled_at=past,
            executives=[cast.executive.pk],
            minutes="Agreed to look at the 2027 pipeline.",
            decisions="Co-lend on the offshore wind farm.",
            **{
                "actions-0-description": "Circulate minutes",
                "actions-0-owner": cast.owner.pk,
                "actions-0-due_date": due,
            },
        ),
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "held"
    assert review.actions.get().description == "Circulate minutes"
    assert client.get(review.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("teammate", 200),
        ("lead", 200),
        ("executive", 200),
        ("risk", 200),
        ("outsider", 404),
        ("other_lead", 404),
    ],
)
def test_who_sees_the_account_reviews(client, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    url = reverse("interactions:review_list", args=[cast.account.pk])
    assert client.get(url).status_code == status


@pytest.mark.parametrize(("who", "status"), [("executive", 403), ("outsider", 404), ("owner", 302)])
def test_who_may_schedule(client, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    response = client.post(
        reverse("interactions:review_create", args=[cast.account.pk]),
        _review_form(executives=[cast.executive.pk]),
    )
    assert response.status_code == status


def test_a_review_late_on_31_march_beijing_time_counts_for_q1(cast: Cast) -> None:
    _strategic(cast)
    with time_machine.travel(dt.datetime(2026, 4, 2, 9, 0, tzinfo=SH), tick=False):
        review = review_create(
            account=cast.account,
            user=cast.owner,
            status="held",
            scheduled_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=SH),
            location="Shanghai",
            executives=[cast.executive],
        )
        assert (review.year, review.quarter) == (2026, 1)
        assert not accounts_missing_review(
            quarter=Quarter(2026, 1), scheduled_counts=False
        ).exists()
        assert accounts_missing_review(quarter=Quarter(2026, 2), scheduled_counts=False).exists()
        # Rescheduled to 00:30 on 1 April it moves to Q2.
        review_update(
            review=review,
            user=cast.owner,
            status="held",
            scheduled_at=dt.datetime(2026, 4, 1, 0, 30, tzinfo=SH),
            location="Shanghai",
            executives=[cast.executive],
        )
        assert (review.year, review.quarter) == (2026, 2)


def test_sponsor_must_be_an_executive(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        account_sponsor_set(account=cast.account, executive=cast.lead)
    account_sponsor_set(account=cast.account, executive=cast.executive)
    assert AccountSponsor.objects.get(account=cast.account).executive == cast.executive


# ---------------------------------------------------------------- coverage overview


def _book(cast: Cast) -> dict[str, object]:
    """Energy team: held, scheduled, missing; Transport team: one missing; one exited."""
    _strategic(cast)
    held = AccountFactory.create(
        owner=cast.owner, tier="key", status="active", legal_name_en="Held Co"
    )
    missing = AccountFactory.create(
        owner=cast.owner, tier="key", status="active", legal_name_en="Gap Co"
    )
    other = AccountFactory.create(
        owner=cast.outsider, tier="strategic", status="active", legal_name_en="Far Co"
    )
    AccountFactory.create(
        owner=cast.owner, tier="strategic", status="exited", legal_name_en="Gone Co"
    )
    AccountFactory.create(
        owner=cast.owner, tier="standard", status="active", legal_name_en="Small Co"
    )
    review_create(
        account=held,
        user=cast.owner,
        status="held",
        scheduled_at=max(Quarter.current().start, timezone.now() - dt.timedelta(hours=1)),
        location="HQ",
        executives=[cast.executive],
    )
    review_create(
        account=cast.account,
        user=cast.owner,
        scheduled_at=min(
            Quarter.current().end - dt.timedelta(hours=1), timezone.now() + dt.timedelta(hours=1)
        ),
        location="HQ",
    )
    return {"held": held, "missing": missing, "other": other}


def test_coverage_by_team_counts_held_scheduled_missing(cast: Cast) -> None:
    book = _book(cast)
    rows = {
        r["team__name"]: r
        for r in review_coverage_by_team(user=cast.executive, quarter=Quarter.current())
    }
    assert (
        rows["Energy"]["total"],
        rows["Energy"]["held"],
        rows["Energy"]["scheduled"],
        rows["Energy"]["missing"],
    ) == (3, 1, 1, 1)
    assert rows["Transport"]["missing"] == 1
    # A team lead sees their own team only.
    lead_rows = review_coverage_by_team(user=cast.lead, quarter=Quarter.current())
    assert [r["team__name"] for r in lead_rows] == ["Energy"]
    assert book


@pytest.mark.parametrize(
    ("who", "status", "sees_far"),
    [
        ("executive", 200, True),
        ("lead", 200, False),
        ("other_lead", 200, True),
        ("owner", 403, False),
        ("outsider", 403, False),
    ],
)
def test_coverage_page_per_role(client, cast: Cast, who: str, status: int, sees_far: bool) -> None:
    _book(cast)
    client.force_login(getattr(cast, who))
    response = client.get(reverse("interactions:review_coverage"))
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert ("Far Co" in body) is sees_far
        assert ("Gap Co" in body) is (who in ("executive", "lead"))
        assert "Held Co" not in body  # held accounts are not in the missing list
        assert "Gone Co" not in body and "Small Co" not in body


def test_coverage_page_filters_by_team_and_quarter(client, cast: Cast) -> None:
    _book(cast)
    client.force_login(cast.executive)
    response = client.get(
        reverse("interactions:review_coverage"),
        {"team": cast.other_team.pk, "quarter": Quarter.current().slug},
    )
    body = response.content.decode()
    assert "Far Co" in body and "Gap Co" not in body
    previous = client.get(
        reverse("interactions:review_coverage"), {"quarter": Quarter.current().previous().slug}
    )
    assert previous.status_code == 200
    assert "Held Co" in previous.content.decode()  # no held review last quarter
    assert (
        client.get(
            reverse("interactions:review_coverage"), {"quarter": "bogus", "team": "x"}
        ).status_code
        == 200
    )

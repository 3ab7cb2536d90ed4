"""A member's tier reads its group's exposure: a membership change rescores every member of
the groups it touches, and a facility change rescores the group members of its borrowers."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest

from accounts.models import Facility
from accounts.services import facility_save
from groups.models import GroupMembership
from groups.services import membership_delete, membership_save
from tests.conftest import Cast
from tests.factories import AccountFactory

from .support import facility, group

pytestmark = pytest.mark.django_db


def _enqueued(enqueue: mock.MagicMock) -> list[int]:
    return sorted(call.args[0] for call in enqueue.call_args_list)


def test_a_new_member_rescores_every_member_of_its_group() -> None:
    top, a, b = (AccountFactory.create() for _ in range(3))
    made = group(top, a, b)
    elsewhere = group(AccountFactory.create(), AccountFactory.create())
    newcomer = AccountFactory.create()
    with mock.patch("groups.services.enqueue_account_recompute") as enqueue:
        membership_save(
            membership=GroupMembership(
                group=made, account=newcomer, parent=top, ownership_pct=Decimal("40")
            )
        )
    assert _enqueued(enqueue) == sorted([top.pk, a.pk, b.pk, newcomer.pk])
    assert not set(_enqueued(enqueue)) & set(
        elsewhere.memberships.values_list("account_id", flat=True)
    )


def test_a_member_leaving_rescores_it_and_the_members_left() -> None:
    top, a, b = (AccountFactory.create() for _ in range(3))
    group(top, a, b)
    with mock.patch("groups.services.enqueue_account_recompute") as enqueue:
        membership_delete(membership=GroupMembership.objects.get(account=b))
    assert _enqueued(enqueue) == sorted([top.pk, a.pk, b.pk])


def test_a_facility_change_rescores_the_borrowers_group(cast: Cast) -> None:
    top, a, b = (AccountFactory.create() for _ in range(3))
    group(top, a, b)
    outsider = AccountFactory.create()  # in no group
    loan = facility(a, drawn="10")
    other = facility(outsider, drawn="5")
    loan.drawn = Decimal("20")
    loan.commitment = Decimal("20")
    with mock.patch("accounts.services.enqueue_account_recompute") as enqueue:
        facility_save(facility=loan, by=cast.admin)
    assert _enqueued(enqueue) == sorted([top.pk, a.pk, b.pk])
    # Moved to a borrower outside the group: the group it left is rescored too.
    loan = Facility.objects.get(pk=loan.pk)
    loan.project = other.project
    loan.borrower = outsider
    with mock.patch("accounts.services.enqueue_account_recompute") as enqueue:
        facility_save(facility=loan, by=cast.admin)
    assert _enqueued(enqueue) == sorted([top.pk, a.pk, b.pk, outsider.pk])

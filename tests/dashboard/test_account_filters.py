"""The account list's filter choices follow what the user may see."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from dashboard.filters import AccountFilter
from kam.models import User
from tests.conftest import Cast
from tests.factories import AccountFactory


def _owner_choices(user: User) -> set[str]:
    request = RequestFactory().get("/accounts/")
    request.user = user
    account_filter = AccountFilter({}, request=request)
    return {u.username for u in account_filter.form.fields["owner"].queryset}


@pytest.mark.django_db
def test_an_rm_filters_by_the_owners_of_the_accounts_they_see(cast: Cast) -> None:
    AccountFactory.create(owner=cast.outsider)

    assert _owner_choices(cast.owner) == {"rm.wang"}
    # The teammate sees the owner's account through the account team.
    assert _owner_choices(cast.teammate) == {"rm.wang"}
    assert _owner_choices(cast.outsider) == {"rm.zhang"}


@pytest.mark.django_db
def test_readers_of_every_account_filter_by_every_rm(cast: Cast) -> None:
    choices = _owner_choices(cast.executive)

    assert {"rm.wang", "rm.li", "rm.zhang", "lead.zhao", "lead.huang"} <= choices

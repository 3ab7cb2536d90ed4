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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "",
        "tier=key&tier=core&status=active&owner=OWNER",
        "score_min=abc&q=x%22%3Cb%3E&o=-score&green=yes",
        "industry=bogus&page=3",
        "score_min=12.5&quarter=2026Q9&team=999",
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sidebar_draws_what_the_bound_form_draws(cast: Cast, query: str, language: str) -> None:
    """The list's sidebar is drawn from the query string without building the form
    (kam_ui.FilterSidebar); it must show what the form itself would: values, choices,
    escaping and errors."""
    from django.utils import translation

    from accounts.models import Account
    from kam.templatetags.kam_ui import FilterSidebar, filter_field

    request = RequestFactory().get("/accounts/?" + query.replace("OWNER", str(cast.owner.pk)))
    request.user = cast.owner
    with translation.override(language):
        account_filter = AccountFilter(request.GET, queryset=Account.objects.all(), request=request)
        form = account_filter.form
        expected = [str(filter_field(form[name])) for name in form.fields]
        sidebar = FilterSidebar(AccountFilter, request.GET, request, account_filter.errors)
        assert [str(sidebar[name]) for name in form.fields] == expected
    if "abc" in query:
        assert "is-invalid" in "".join(expected) and "&lt;b&gt;" in "".join(expected)


@pytest.mark.django_db
def test_the_list_rows_escape_what_users_typed(client, cast: Cast) -> None:
    """The rows are written in Python (dashboard_tags.account_rows): every free text is
    escaped there, as the template engine would."""
    from django.urls import reverse

    AccountFactory.create(
        owner=cast.owner, legal_name_en='<script>alert("x")</script>', legal_name_zh="<b>甲</b>"
    )
    client.force_login(cast.owner)
    body = client.get(reverse("accounts:list")).content.decode()
    assert "<script>alert" not in body and "<b>甲</b>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert '<div class="small text-secondary">&lt;b&gt;甲&lt;/b&gt;</div>' in body

"""kam.links.link: reverse() for integer ids without matching the patterns on every row."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from kam.links import link


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("accounts:detail", (5,)),
        ("accounts:contact_edit", (1, 22)),
        ("interactions:follow_up_toggle", (3, 40)),
        ("risk:alert_detail", (918273645,)),  # a marker value itself
        ("service:list", ()),
    ],
)
def test_link_writes_what_reverse_writes(name: str, ids: tuple[int, ...]) -> None:
    assert link(name, *ids) == reverse(name, args=ids)


def test_link_follows_the_script_prefix() -> None:
    link("accounts:detail", 1)  # prepared under "/"
    set_script_prefix("/kam/")
    try:
        assert (
            link("accounts:detail", 7) == "/kam/accounts/7/" == reverse("accounts:detail", args=[7])
        )
    finally:
        set_script_prefix("/")


def test_what_link_cannot_write_goes_to_reverse() -> None:
    assert link("accounts:detail", "7") == reverse("accounts:detail", args=["7"])  # type: ignore[arg-type]
    with pytest.raises(NoReverseMatch):
        link("accounts:detail")
    with pytest.raises(NoReverseMatch):
        link("accounts:detail", 1, 2)

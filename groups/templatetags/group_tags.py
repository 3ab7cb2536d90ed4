"""The account page's link to the account's client group (the accounts app knows nothing of
groups: the template asks here), and the group page's long tables."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape as _escape
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.links import link
from kam.templatetags.kam_ui import status_badge, tier_badge

from ..models import ClientGroup
from ..selectors import ZERO, FacilityRow, MemberRow, ProjectRow, group_of_account

register = template.Library()


@register.inclusion_tag("groups/_account_group.html")
def account_group(account: Account) -> dict[str, Any]:
    """The account's group, for a user who sees the account (and so the group): one query."""
    return {"membership": group_of_account(account=account)}


# ------------------------------------------------ the group page's long tables, in Python
#
# A group of fifty members lists hundreds of projects and facilities: drawn through template
# loops, their thousands of {% for %} and {% if %} nodes cost the page more than its queries.
# The rows come from groups.selectors.group_page; every free text is escaped here.

_ONE = Decimal(1)


def escape(text: Any) -> str:
    """``django.utils.html.escape`` (the same text) without its check for lazy strings, which
    cost more than the escaping over a few thousand cells."""
    return _escape(str(text))


_NONE = '<span class="text-secondary">—</span>'


def amount(value: Decimal) -> str:
    """``value|floatformat:"0g"`` in both languages (kam.formats: 1,250,000)."""
    return f"{value.quantize(_ONE, ROUND_HALF_UP) + 0:,}"


@register.simple_tag(takes_context=True)
def member_rows(
    context: template.Context, group: ClientGroup, members: list[MemberRow], can_manage: bool
) -> SafeString:
    """The group structure: each member under its parent; a member outside the user's book by
    name only, without its figures."""
    outside = f'<td colspan="2" class="small text-secondary">{escape(_("Outside your book"))}</td>'
    hidden_figures = '<td class="amount text-secondary">—</td>' * 2
    top = f'<span class="small text-secondary">{escape(_("top"))}</span>'
    branch = '<span class="text-secondary" aria-hidden="true">└ </span>'
    csrf = edit = remove = ""
    if can_manage:
        csrf = (
            '<input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{escape(get_token(context["request"]))}">'
        )
        edit, remove = escape(_("Edit")), escape(_("Remove"))
    html = []
    for m in members:
        name: str = escape(m.name)
        if m.visible:
            name = f'<a href="{escape(link("accounts:detail", m.account_id))}">{name}</a>'
        if m.name_zh:
            name += f' <span class="small text-secondary">{escape(m.name_zh)}</span>'
        if m.ownership_pct is not None:
            pct = f"{escape(m.ownership_pct)}%"
        else:
            pct = "—" if m.depth else top
        cells = [f'<td class="{m.indent}">{branch if m.depth else ""}{name}</td>']
        if m.visible:
            cells.append(
                f"<td>{tier_badge(m.tier, m.tier_label)}</td>"
                f"<td>{status_badge(m.status, m.status_label)}</td>"
                f'<td class="amount">{pct}</td>'
                f'<td class="amount">{m.facilities}</td>'
                f'<td class="amount">{amount(m.exposure_cny or ZERO)}</td>'
            )
        else:
            cells.append(f'{outside}<td class="amount">{pct}</td>{hidden_figures}')
        if can_manage:
            actions = ""
            if m.account_id != group.parent_id:
                edit_url = escape(link("groups:membership_edit", group.pk, m.membership_pk))
                remove_url = escape(link("groups:membership_remove", group.pk, m.membership_pk))
                actions = (
                    f'<a class="btn btn-sm btn-link" href="{edit_url}">{edit}</a>'
                    f'<form class="d-inline" method="post" action="{remove_url}">{csrf}'
                    '<button type="submit" class="btn btn-sm btn-link text-danger">'
                    f"{remove}</button></form>"
                )
            cells.append(f'<td class="text-end text-nowrap">{actions}</td>')
        html.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


@register.simple_tag
def project_rows(projects: list[ProjectRow]) -> SafeString:
    """The members' projects: linked to the project's page when the user may open it (through
    its lead account), with the members involved, the lead account, stage and exposure."""
    parties_of: dict[tuple[str, str], str] = {}  # a member's roles recur across projects

    def party(member: str, roles: str) -> str:
        key = (member, roles)
        if key not in parties_of:
            parties_of[key] = (
                f'{escape(member)} <span class="text-secondary">({escape(roles)})</span>'
            )
        return parties_of[key]

    html = []
    for p in projects:
        name: str = escape(p.name)
        lead: str = escape(p.lead_name)
        if p.lead_visible:
            name = f'<a href="{escape(link("accounts:project_detail", p.lead_account_id, p.pk))}">{name}</a>'
            lead = f'<a href="{escape(link("accounts:detail", p.lead_account_id))}">{lead}</a>'
        parties = "; ".join([party(member, roles) for member, roles in p.parties])
        exposure = _NONE if p.exposure_cny is None else amount(p.exposure_cny)
        html.append(
            f'<tr><td>{name}</td><td class="small">{parties}</td><td>{lead}</td>'
            f'<td>{escape(p.stage_label)}</td><td class="amount">{exposure}</td></tr>'
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


@register.simple_tag
def facility_rows(facilities: list[FacilityRow]) -> SafeString:
    """The facilities of the members the user may open."""
    over = f' <span class="badge text-bg-warning">{escape(_("above commitment"))}</span>'
    html = []
    for f in facilities:
        html.append(
            f"<tr><td>{escape(f.project)}</td>"
            f"<td>{escape(f.name)}{over if f.over_commitment else ''}</td>"
            f"<td>{escape(f.borrower)}</td><td>{escape(f.kind_label)}</td>"
            f'<td class="code">{escape(f.currency)}</td>'
            f'<td class="amount">{amount(f.commitment)}</td>'
            f'<td class="amount">{amount(f.drawn)}</td>'
            f'<td class="amount">{amount(f.undrawn)}</td>'
            f'<td class="amount fw-semibold">{amount(f.exposure)}</td>'
            f"<td>{escape(f.class_label)}</td><td>{f.maturity or '—'}</td></tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped

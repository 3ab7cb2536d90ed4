"""The account page's tables written in Python: the contacts table drew some twenty template
nodes per cell (a reveal form, with its URL, CSRF token and three translations, per personal
value), and cost the page more than the query that reads the contacts."""

from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kam.links import link

register = template.Library()

_NONE = '<span class="text-secondary">—</span>'


@register.simple_tag(takes_context=True)
def contact_rows(
    context: template.Context, account: Any, contacts: list[dict[str, Any]]
) -> SafeString:
    """The rows of the contacts table (accounts.views._contact_row): personal values masked,
    each with its logged "Show" form for those who may reveal it, and the PIPL record and
    actions for those who edit contacts. Every free text is escaped here."""
    can = context["can"]
    edits, reveals = can.edit_contacts, can.reveal_pii
    csrf = ""
    if reveals:
        csrf = (
            '<input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{escape(get_token(context["request"]))}">'
        )
    primary = f' <span class="badge text-bg-primary">{escape(_("Primary"))}</span>'
    anonymised = f' <span class="badge text-bg-secondary">{escape(_("Anonymised"))}</span>'
    stopped = f' <span class="badge text-bg-danger">{escape(_("Processing stopped"))}</span>'
    error_text = escape(_("Could not show the value."))
    show_title = escape(_("Show in full; this is logged."))
    show = escape(_("Show"))
    withdrawn = f'<br><span class="badge text-bg-danger">{escape(_("consent withdrawn"))}</span>'
    abroad = (
        f'<br><span class="badge text-bg-light border">{escape(_("leaves mainland China"))}</span>'
    )
    edit = escape(_("Edit"))
    request_title = escape(
        _("Record what the person asked: a copy, a correction, deletion or withdrawal of consent.")
    )
    privacy_request = escape(_("Privacy request"))

    html = []
    for contact in contacts:
        pk = contact["pk"]
        name = escape(contact["name"]) + (primary if contact["is_primary"] else "")
        if contact["anonymised"]:
            name += anonymised
        elif contact["processing_stopped"]:
            name += stopped
        channels = "".join(
            f'<span class="badge badge-channel me-1">{escape(label)}</span>'
            for label in contact["channels"]
        )
        cells = [
            f"<td>{name}</td>",
            f"<td>{escape(contact['title']) if contact['title'] else '—'}</td>",
            f"<td>{escape(contact['seniority'])}</td>",
            f"<td>{escape(contact['influence'])}</td>",
            f'<td><span class="badge attitude-{escape(contact["attitude"])}">'
            f"{escape(contact['attitude_label'])}</span></td>",
            f"<td>{channels or _NONE}</td>",
        ]
        for field, masked in contact["pii"]:
            cell_id = f"contact-{pk}-{escape(field)}"
            value = _NONE
            if masked:
                value = f'<span class="code">{escape(masked)}</span>'
                if reveals and not contact["processing_stopped"]:
                    url = escape(link("accounts:contact_reveal", account.pk, pk, field))
                    value += (
                        f'<form method="post" action="{url}" hx-post="{url}" '
                        f'hx-target="#{cell_id}" hx-swap="innerHTML" '
                        f'data-error-text="{error_text}">{csrf}'
                        '<button type="submit" class="btn btn-link btn-sm p-0 ms-1 '
                        f'align-baseline btn-reveal" title="{show_title}">{show}</button></form>'
                    )
            cells.append(f'<td class="pii-cell" id="{cell_id}">{value}</td>')
        if edits:
            if contact["anonymised"]:
                cells.append(
                    f'<td class="small">{_NONE}</td><td class="text-end text-nowrap"></td>'
                )
            else:
                record: str = escape(contact["legal_basis"])
                if contact["consent_withdrawn"]:
                    record += withdrawn
                if contact["leaves_mainland"]:
                    record += abroad
                record += "".join(
                    f'<br><span class="badge text-bg-warning">{escape(gap)}</span>'
                    for gap in contact["privacy_gaps"]
                )
                edit_url = escape(link("accounts:contact_edit", account.pk, pk))
                request_url = escape(link("privacy:contact_request", account.pk, pk))
                cells.append(
                    f'<td class="small">{record}</td><td class="text-end text-nowrap">'
                    f'<a class="btn btn-sm btn-outline-secondary" href="{edit_url}">{edit}</a> '
                    f'<a class="btn btn-sm btn-outline-secondary" href="{request_url}" '
                    f'title="{request_title}">{privacy_request}</a></td>'
                )
        html.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped

"""The data-security level of a kind of data (kam.data_levels) as a small badge beside its
label: ``{% load data_levels %}{% data_level "contact.phone" %}``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kam.data_levels import FIELD_LEVELS, DataLevel
from kam.data_levels import label as level_label

register = template.Library()

_STYLES = {
    DataLevel.PUBLIC: "text-bg-light border",
    DataLevel.INTERNAL: "text-bg-light border",
    DataLevel.SENSITIVE: "text-bg-warning",
    DataLevel.HIGHLY_SENSITIVE: "text-bg-danger",
    DataLevel.CORE: "text-bg-danger",
}


@register.simple_tag
def data_level(field: str) -> SafeString:
    level = FIELD_LEVELS[field]
    return format_html(
        '<span class="badge data-level {}" title="{}">L{}</span>',
        _STYLES[level],
        _("Data-security level %(n)d (JR/T 0197): %(label)s")
        % {"n": level, "label": level_label(level)},
        int(level),
    )

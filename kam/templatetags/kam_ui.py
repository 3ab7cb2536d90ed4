"""Small, hot pieces of markup rendered in Python rather than through templates.

The filter sidebars of the list pages are rendered on every page view with a score of
fields; through crispy-forms and Django's widget templates they cost more than the rest of
the page (one template per option). ``filter_field`` writes the same Bootstrap 5 markup
crispy-forms' bootstrap5 pack writes for the widgets a filter form uses (text, number,
select, checkboxes), and hands anything else to crispy-forms.

The badges are shared by every list that shows a tier, status or risk level.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms, template
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils import translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_INPUT_CLASSES = {"text": "textinput", "number": "numberinput", "date": "dateinput"}


def _flat_choices(choices: Iterable[Any]) -> Iterable[tuple[str, Any]]:
    for value, label in choices:
        if isinstance(label, list | tuple):  # an optgroup: flattened (filters use none)
            yield from _flat_choices(label)
        else:
            yield str(value), label


def _choices(formfield: forms.Field) -> Iterable[Any]:
    """A choice field's choices. Django normalizes them when they are set — a list, or an
    iterator over a callable's (django-filter's wraps its empty label in) — never the callable
    or the ``Choices`` class the setter accepts."""
    assert isinstance(formfield, forms.ChoiceField)
    choices = formfield.choices
    assert not callable(choices)
    return choices


def _attrs(field: forms.BoundField, css: str, invalid: bool) -> dict[str, Any]:
    attrs = dict(field.field.widget.attrs)
    attrs.update(field.build_widget_attrs({}))
    attrs["class"] = f"{css} is-invalid" if invalid else css
    attrs["id"] = field.auto_id
    attrs["name"] = field.html_name
    return attrs


_STATIC_OPTIONS: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
_STATIC_OPTIONS_MAX = 1000


def _escaped(choices: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(str(escape(value)), str(escape(label))) for value, label in choices]


def _options(field: forms.BoundField) -> list[tuple[str, str]]:
    """(value, label) of the field's options, HTML-escaped. A model choice reads its rows in
    one plain query (the field's own iterator reads through a server-side cursor: three round
    trips for a handful of rows); fixed choices are escaped and translated once per form,
    field and language."""
    formfield = field.field
    if isinstance(formfield, forms.ModelChoiceField):
        assert formfield.queryset is not None  # a filter's model choice always has its rows
        rows = [("", formfield.empty_label)] if formfield.empty_label is not None else []
        rows += [(obj.pk, formfield.label_from_instance(obj)) for obj in formfield.queryset]
        return _escaped(rows)
    choices = _choices(formfield)
    # django-filter wraps the choices (adding its empty label); callable ones are read anew.
    underlying = getattr(choices, "choices", choices)
    if not isinstance(underlying, list | tuple):
        return _escaped(_flat_choices(choices))
    raw = list(_flat_choices(choices))  # the labels stay lazy: not translated here
    values = tuple(value for value, _label in raw)
    key = (type(field.form).__qualname__, field.name, translation.get_language(), values)
    options = _STATIC_OPTIONS.get(key)
    if options is None:
        if len(_STATIC_OPTIONS) >= _STATIC_OPTIONS_MAX:
            _STATIC_OPTIONS.clear()
        options = _STATIC_OPTIONS[key] = _escaped(raw)
    return options


def _select(field: forms.BoundField, invalid: bool) -> SafeString:
    selected = {str(escape(v)) for v in field.field.widget.format_value(field.value())}
    options = "".join(
        f'<option value="{value}"{" selected" if value in selected else ""}>{label}</option>'
        for value, label in _options(field)
    )
    attrs = _attrs(field, "select form-select", invalid)
    if field.field.widget.allow_multiple_selected:
        attrs["multiple"] = True
    return format_html("<select{}>{}</select>", flatatt(attrs), mark_safe(options))  # noqa: S308


def _checkboxes(field: forms.BoundField, invalid: bool) -> SafeString:
    value = field.value() or []
    checked = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
    boxes = format_html_join(
        "",
        '<div class="form-check"><input type="checkbox" class="form-check-input{}" '
        'name="{}" value="{}" id="{}_{}"{}><label class="form-check-label" '
        'for="{}_{}">{}</label></div>',
        (
            (
                " is-invalid" if invalid else "",
                field.html_name,
                value,
                field.auto_id,
                index,
                mark_safe(" checked") if value in checked else "",  # noqa: S308
                field.auto_id,
                index,
                label,
            )
            for index, (value, label) in enumerate(_flat_choices(_choices(field.field)))
        ),
    )
    return format_html("<div>{}</div>", boxes)


def _input(field: forms.BoundField, invalid: bool) -> SafeString:
    widget = field.field.widget
    kind = widget.input_type
    attrs = _attrs(field, f"{_INPUT_CLASSES.get(kind, '')} form-control".strip(), invalid)
    attrs["type"] = kind
    value = widget.format_value(field.value())
    if value not in (None, ""):
        attrs["value"] = value
    return format_html("<input{}>", flatatt(attrs))


@register.simple_tag
def filter_field(field: forms.BoundField) -> SafeString:
    """One field of a filter form: label, widget and errors, in Bootstrap 5 markup."""
    widget = field.field.widget
    invalid = bool(field.errors)
    if isinstance(widget, forms.CheckboxSelectMultiple):
        control = _checkboxes(field, invalid)
        label = format_html('<label class="form-label">{}</label>', field.label)
    elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
        control = _select(field, invalid)
        label = format_html(
            '<label for="{}" class="form-label">{}</label>', field.auto_id, field.label
        )
    elif isinstance(widget, Input) and widget.input_type in _INPUT_CLASSES:
        control = _input(field, invalid)
        label = format_html(
            '<label for="{}" class="form-label">{}</label>', field.auto_id, field.label
        )
    else:
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(field)
    errors = format_html_join(
        "",
        '<span class="invalid-feedback d-block"><strong>{}</strong></span>',
        ((e,) for e in field.errors),
    )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}</div>', field.auto_id, label, control, errors
    )


@register.simple_tag
def tier_badge(tier: str, label: str) -> SafeString:
    return format_html('<span class="badge tier-badge tier-{}">{}</span>', tier, label)


@register.simple_tag
def status_badge(status: str, label: str) -> SafeString:
    return format_html('<span class="badge status-badge status-{}">{}</span>', status, label)

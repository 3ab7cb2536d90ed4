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
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from kam.links import link as _link

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


_BOX = '<div class="form-check"><input type="checkbox" class="form-check-input'


class _Control:
    """One field of a filter form as markup, prepared once for a language: the label, the
    opening tag and each option with and without its mark, so that drawing the field on a
    request only picks the options chosen and adds the values given."""

    def __init__(self, formfield: forms.Field, name: str, auto_id: str) -> None:
        widget = formfield.widget
        self.name, self.auto_id = name, auto_id
        self.model_choices = isinstance(formfield, forms.ModelChoiceField)
        self.empty_label = getattr(formfield, "empty_label", None)
        self.label_of = getattr(formfield, "label_from_instance", str)
        if isinstance(widget, forms.CheckboxSelectMultiple):
            self.kind = "checkboxes"
            self.label = format_html('<label class="form-label">{}</label>', formfield.label)
        elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
            self.kind = "select"
        elif isinstance(widget, Input) and widget.input_type in _INPUT_CLASSES:
            self.kind = "input"
        else:
            self.kind = ""  # drawn by crispy-forms (filter_field only)
            return
        if self.kind != "checkboxes":
            self.label = format_html(
                '<label for="{}" class="form-label">{}</label>', auto_id, formfield.label
            )
        attrs = dict(widget.attrs)
        if formfield.required:
            attrs["required"] = True
        if formfield.disabled:
            attrs["disabled"] = True
        attrs["id"], attrs["name"] = auto_id, name
        if self.kind == "input":
            assert isinstance(widget, Input)
            css = f"{_INPUT_CLASSES[widget.input_type]} form-control"
            attrs["type"] = widget.input_type
        else:
            css = "select form-select"
            if widget.allow_multiple_selected:
                attrs["multiple"] = True
        self.multiple = getattr(widget, "allow_multiple_selected", False)
        self.attrs = {False: {**attrs, "class": css}, True: {**attrs, "class": f"{css} is-invalid"}}
        self.options: list[tuple[str, str, str]] = []
        if self.kind != "input" and not self.model_choices:
            self.options = self._marked(_flat_choices(_choices(formfield)))

    def _marked(self, choices: Iterable[tuple[Any, Any]]) -> list[tuple[str, str, str]]:
        """(escaped value, option, chosen option) of each choice, in the markup of its kind."""
        if self.kind == "checkboxes":
            return [
                (value, *self._box(index, value, str(escape(label))))
                for index, (value, label) in enumerate(
                    (str(escape(value)), label) for value, label in choices
                )
            ]
        marked = []
        for value, label in choices:
            value, label = str(escape(value)), str(escape(label))
            marked.append(
                (
                    value,
                    f'<option value="{value}">{label}</option>',
                    f'<option value="{value}" selected>{label}</option>',
                )
            )
        return marked

    def _box(self, index: int, value: str, label: str) -> tuple[str, str]:
        """A checkbox after its class (``_BOX`` and the invalid mark come first)."""
        box = (
            f'" name="{escape(self.name)}" value="{value}" id="{self.auto_id}_{index}"%s>'
            f'<label class="form-check-label" for="{self.auto_id}_{index}">{label}</label></div>'
        )
        return box.replace("%s", "", 1), box.replace("%s", " checked", 1)

    def render(
        self,
        values: list[str],
        errors: Iterable[Any] = (),
        options: list[tuple[str, str, str]] | None = None,
    ) -> SafeString:
        """The field with ``values`` (as the request gave them) and its ``errors``; a model
        choice field takes its ``options`` (``model_options``) from the request's user."""
        errors = list(errors)
        invalid = bool(errors)
        chosen = {str(escape(value)) for value in values}
        if self.kind == "checkboxes":
            mark = " is-invalid" if invalid else ""
            control = "<div>{}</div>".format(
                "".join(
                    _BOX + mark + (checked if value in chosen else plain)
                    for value, plain, checked in self.options
                )
            )
        elif self.kind == "select":
            if not chosen and not self.multiple:
                chosen = {""}  # what Django's Select marks when nothing is given
            control = "<select{}>{}</select>".format(
                flatatt(self.attrs[invalid]),
                "".join(
                    selected if value in chosen else plain
                    for value, plain, selected in (self.options if options is None else options)
                ),
            )
        else:
            attrs = dict(self.attrs[invalid])
            if values and values[-1] != "":
                attrs["value"] = values[-1]
            control = str(format_html("<input{}>", flatatt(attrs)))
        return mark_safe(  # noqa: S308 - every part above is escaped
            f'<div id="div_{self.auto_id}" class="mb-3">{self.label}{control}'
            + "".join(
                str(
                    format_html(
                        '<span class="invalid-feedback d-block"><strong>{}</strong></span>', e
                    )
                )
                for e in errors
            )
            + "</div>"
        )

    def model_options(self, queryset: Iterable[Any], label: Any) -> list[tuple[str, str, str]]:
        """The options of a model choice field from its rows (``label`` draws a row)."""
        rows = [("", self.empty_label)] if self.empty_label is not None else []
        return self._marked([*rows, *((obj.pk, label(obj)) for obj in queryset)])


def _bound_values(field: forms.BoundField) -> list[str]:
    """What a bound field shows, as the strings its widget would draw."""
    value = field.value()
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


@register.simple_tag
def filter_field(field: forms.BoundField) -> SafeString:
    """One field of a filter form: label, widget and errors, in Bootstrap 5 markup."""
    control = _Control(field.field, field.html_name, field.auto_id)
    if not control.kind:
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(field)
    options = None
    if control.model_choices:
        formfield = field.field
        assert isinstance(formfield, forms.ModelChoiceField) and formfield.queryset is not None
        options = control.model_options(formfield.queryset, formfield.label_from_instance)
    return control.render(_bound_values(field), field.errors, options)


class FilterSidebar:
    """A django-filter ``FilterSet``'s form drawn from the request's query string, without
    building the form: its fields' markup is prepared once per FilterSet class and language
    (labels and fixed choices come from code, never from the database), and a request only
    marks what it chose. Model choices (owners, teams) are read on every request, through the
    filter's own queryset for that request. ``errors`` are the bound form's, when the list
    was filtered.

    ``sidebar["name"]`` draws one field; ``sidebar.given(names)`` tells whether any of them
    has a value (to open a folded group).
    """

    _prepared: dict[tuple[type, str], dict[str, _Control]] = {}

    def __init__(self, filterset_class: Any, data: Any, request: Any, errors: Any = None) -> None:
        self.filterset_class, self.data, self.request = filterset_class, data, request
        self.errors = errors or {}
        key = (filterset_class, translation.get_language() or "")
        controls = self._prepared.get(key)
        if controls is None:
            model = filterset_class._meta.model
            form = filterset_class(None, queryset=model._default_manager.none()).form
            controls = self._prepared[key] = {
                name: _Control(form.fields[name], form.add_prefix(name), form[name].auto_id)
                for name in form.fields
            }
        self.controls = controls

    def given(self, names: Iterable[str]) -> bool:
        return any(value for name in names for value in self.data.getlist(name))

    def __getitem__(self, name: str) -> SafeString:
        control = self.controls[name]
        options = None
        if control.model_choices:
            queryset = self.filterset_class.base_filters[name].extra["queryset"]
            if callable(queryset):
                queryset = queryset(self.request)
            options = control.model_options(queryset, control.label_of)
        values = (
            self.data.getlist(name)
            if control.multiple or control.kind == "checkboxes"
            else ([self.data[name]] if self.data.get(name) not in (None, "") else [])
        )
        return control.render(values, self.errors.get(name, ()), options)


@register.simple_tag
def tier_badge(tier: str, label: str) -> SafeString:
    return format_html('<span class="badge tier-badge tier-{}">{}</span>', tier, label)


@register.simple_tag
def status_badge(status: str, label: str) -> SafeString:
    return format_html('<span class="badge status-badge status-{}">{}</span>', status, label)


# The dates every list shows, without the `date` filter's format parser (a tenth of its time
# per value); as `date`, they see aware datetimes in the current time zone.
@register.filter(expects_localtime=True)
def iso_day(value: Any) -> str:
    """``value|date:"Y-m-d"``."""
    return value.strftime("%Y-%m-%d") if value else ""


@register.filter(expects_localtime=True)
def iso_minute(value: Any) -> str:
    """``value|date:"Y-m-d H:i"``."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@register.filter(expects_localtime=True)
def iso_datetime(value: Any) -> str:
    """``value|date:"c"`` (ISO 8601), for ``<time datetime>``."""
    return value.isoformat() if value else ""


@register.simple_tag
def link(name: str, *ids: int) -> str:
    """``{% link 'app:view' object.pk %}``: ``{% url %}`` for integer ids, without matching the
    URL patterns on every row (kam.links)."""
    return _link(name, *ids)

"""Mixins for the portal's models."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import translation


def choices_check(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    """The condition of a ``CheckConstraint`` that keeps ``field`` to ``choices`` (or empty,
    with ``blank``): the database refuses a code no form offers, whoever writes the row."""
    condition = Q(**{f"{field}__in": choices.values})
    return condition | Q(**{field: ""}) if blank else condition


_LABELS: dict[tuple[int, str | None], dict[Any, str]] = {}


def choice_labels(field: models.Field) -> dict[Any, str]:
    """value → label of ``field``'s choices, translated into the active language; built once
    per field and language."""
    key = (id(field), translation.get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in field.flatchoices}
    return labels


class ChoiceLabels:
    """``get_FOO_display`` from a table built once per field and language. Django's own
    rebuilds the field's choices into a dict on every call, hashing — so translating — each
    lazy label: a list of 25 rows with four choice columns translated a thousand strings."""

    def _get_FIELD_display(self, field: models.Field) -> str:
        value = getattr(self, field.attname)
        try:
            return choice_labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's way
            # Model's private _get_FIELD_display (behind get_FOO_display) is not in django-stubs.
            return models.Model._get_FIELD_display(self, field)  # type: ignore[attr-defined]

"""Pseudonyms of records about a person ("Contact #12"), for the logs.

The change log and the access log are kept for years and cannot be rewritten (the change log is
hash-chained: ``kam.audit_chain``), while a person's data is erased when its retention runs out
(README, "PIPL handling"). So the logs name such a record by its model and id, never by the
person's name; the audit trail's display looks the present name up (``kam.audit_display``),
which after anonymisation is the anonymised one. Each app registers its models in its
``audit.py``; the ground floor imports no app.
"""

from __future__ import annotations

import re

from django.db import models

_LABELS: dict[type[models.Model], str] = {}


def register_pseudonym(model: type[models.Model], label: str) -> None:
    """Name records of ``model`` as "``label`` #id" in the logs. ``label`` is stored as is
    (English, like the rest of a log entry), so it is not translated."""
    _LABELS[model] = label


def pseudonym_label(model: type[models.Model] | None) -> str | None:
    """The label of a model named by pseudonym, None for the others."""
    if model is None:
        return None
    return _LABELS.get(model._meta.concrete_model or model)


def pseudonym(model: type[models.Model], pk: object) -> str:
    """How the logs name record ``pk`` of a registered ``model``: "Contact #12"."""
    label = pseudonym_label(model)
    if label is None:
        raise ValueError(f"{model._meta.label} is not named by pseudonym in the logs")
    return f"{label} #{pk}"


def pseudonym_pk(model: type[models.Model], text: str) -> str | None:
    """The id in a pseudonym of ``model`` ("Contact #12" -> "12"), None for any other text."""
    label = pseudonym_label(model)
    if label is None:
        return None
    found = re.fullmatch(rf"{re.escape(label)} #(\d+)", text)
    return found.group(1) if found else None

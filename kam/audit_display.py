"""The change log as a person reads it: field labels instead of attribute names, choice labels
instead of codes, related records by name instead of ids, local times to the second.

Entries stay as django-auditlog stored them; this is presentation only (the audit trail page
and its export). Names of related records are read in one query per related model for a whole
page of entries, never one per value. A record about a person is stored under its pseudonym
("Contact #12", ``kam.pseudonyms``) and shown by its present name, which after the person's
anonymisation is the anonymised one; a record deleted since keeps its pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import User
from .pseudonyms import pseudonym_label, pseudonym_pk

ACTION_LABELS = {
    LogEntry.Action.CREATE: gettext_lazy("Created"),
    LogEntry.Action.UPDATE: gettext_lazy("Changed"),
    LogEntry.Action.DELETE: gettext_lazy("Deleted"),
    LogEntry.Action.ACCESS: gettext_lazy("Viewed"),
}
# A changed text longer than this is cut in the trail (the record itself has it in full).
MAX_VALUE_LENGTH = 300
EMPTY = ("", "None", None)
# What services record that is not a field of the record (kam.services, kam.mfa): shown as
# written, where a name that is no field is otherwise a reverse relation or a removed field.
SERVICE_CHANGES = frozenset({"active sessions", "two-step sign-in", "recovery codes"})


def local_time(value: dt.datetime) -> str:
    """A moment in the portal's time zone (Asia/Shanghai), to the second."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def person(user: User | None, email: str | None = None) -> str:
    if user is not None:
        return user.short_name
    return email or _("system")


@dataclass
class ChangeLine:
    """One changed field: its label and the old and new values as words ("" when empty)."""

    label: str
    old: str = ""
    new: str = ""
    # A many-to-many change lists the records added or removed instead of old → new.
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        if self.added or self.removed:
            parts = []
            if self.added:
                parts.append(_("added %(records)s") % {"records": ", ".join(self.added)})
            if self.removed:
                parts.append(_("removed %(records)s") % {"records": ", ".join(self.removed)})
            return f"{self.label}: {'; '.join(parts)}"
        return f"{self.label}: {self.old or '—'} → {self.new or '—'}"


@dataclass
class DisplayEntry:
    entry: LogEntry
    when: str
    actor: str
    action: str
    kind: str
    record: str
    account_id: int | None
    lines: list[ChangeLine]

    @property
    def folded(self) -> bool:
        """A create or delete lists every field: the page folds them."""
        return self.entry.action in (LogEntry.Action.CREATE, LogEntry.Action.DELETE)

    def changes_text(self) -> str:
        return "; ".join(line.as_text() for line in self.lines)


def _model_field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    """The concrete field ``name`` of ``model``; None for reverse relations (which
    django-auditlog wrote as "app.Model.None") and fields that no longer exist."""
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not getattr(found, "concrete", False) and not found.many_to_many:
        return None
    assert isinstance(found, models.Field)
    return found


def _is_relation(model_field: models.Field[Any, Any] | None) -> bool:
    return bool(
        model_field is not None
        and (model_field.many_to_one or model_field.one_to_one)
        and model_field.related_model is not None
    )


def _pseudonymous_m2m(model_field: models.Field[Any, Any] | None) -> bool:
    """A many-to-many field whose records the log names by pseudonym."""
    if model_field is None or not model_field.many_to_many:
        return False
    related = model_field.related_model
    return isinstance(related, type) and pseudonym_label(related) is not None


def _names(wanted: dict[type[models.Model], set[str]]) -> dict[tuple[type[models.Model], str], str]:
    """Each related record's name, one query per related model."""
    names: dict[tuple[type[models.Model], str], str] = {}
    for model, pks in wanted.items():
        pk_field = model._meta.pk
        assert pk_field is not None
        keys = []
        for pk in pks:
            try:
                keys.append(pk_field.to_python(pk))
            except Exception:  # noqa: S112 - a stored value that is not a key: shown as is
                continue
        for obj in model._base_manager.filter(pk__in=keys):
            names[(model, str(obj.pk))] = obj.short_name if isinstance(obj, User) else str(obj)
    return names


class _Formatter:
    def __init__(self, entries: Sequence[LogEntry]) -> None:
        self.entries = entries
        wanted: dict[type[models.Model], set[str]] = defaultdict(set)
        for entry in entries:
            model = entry.content_type.model_class()
            if pseudonym_label(model) is not None:
                assert model is not None
                wanted[model].add(entry.object_pk)
            for name, values in (entry.changes_dict or {}).items():
                model_field = _model_field(model, name)
                if _is_relation(model_field) and isinstance(values, list | tuple):
                    assert model_field is not None and model_field.related_model is not None
                    related = model_field.related_model
                    assert isinstance(related, type)
                    wanted[related].update(str(v) for v in values if v not in EMPTY)
                elif _pseudonymous_m2m(model_field) and isinstance(values, dict):
                    assert model_field is not None
                    person = model_field.related_model
                    assert isinstance(person, type)
                    for text in values.get("objects", []):
                        pk = pseudonym_pk(person, str(text))
                        if pk is not None:
                            wanted[person].add(pk)
        self.names = _names(wanted)

    def pseudonymous(self, model: type[models.Model] | None, text: str) -> str:
        """A record stored as "Contact #12", by its present name when it still exists."""
        pk = pseudonym_pk(model, text) if model is not None else None
        if pk is None:
            return text
        assert model is not None
        return self.names.get((model, pk), text)

    def value(self, model_field: models.Field[Any, Any] | None, value: Any) -> str:
        if value in EMPTY:
            return ""
        text = str(value)
        if model_field is None:
            return text
        if _is_relation(model_field):
            related = model_field.related_model
            assert isinstance(related, type)
            return self.names.get((related, text), _("#%(id)s (deleted)") % {"id": text})
        choices = model_field.flatchoices
        if choices:
            labels = {str(k): str(v) for k, v in choices}
            if text in labels:
                return labels[text]
        if isinstance(model_field, models.BooleanField):
            return str(_("Yes") if text == "True" else _("No") if text == "False" else text)
        if isinstance(model_field, models.DateTimeField):
            moment = parse_datetime(text)
            if moment is not None:
                return local_time(moment)
        if len(text) > MAX_VALUE_LENGTH:
            return text[:MAX_VALUE_LENGTH] + "…"
        return text

    def lines(self, entry: LogEntry) -> list[ChangeLine]:
        model = entry.content_type.model_class()
        lines = []
        for name, values in (entry.changes_dict or {}).items():
            model_field = _model_field(model, name)
            if model is not None and model_field is None and name not in SERVICE_CHANGES:
                continue  # a reverse relation, or a field since removed
            label = capfirst(str(model_field.verbose_name)) if model_field is not None else name
            if isinstance(values, dict) and values.get("type") == "m2m":
                objects = [str(o) for o in values.get("objects", [])]
                if _pseudonymous_m2m(model_field):
                    assert model_field is not None
                    related = model_field.related_model
                    assert isinstance(related, type)
                    objects = [self.pseudonymous(related, o) for o in objects]
                adding = values.get("operation") == "add"
                lines.append(
                    ChangeLine(
                        label=label,
                        added=objects if adding else [],
                        removed=[] if adding else objects,
                    )
                )
                continue
            if not isinstance(values, list | tuple) or len(values) != 2:
                lines.append(ChangeLine(label=label, new=str(values)))
                continue
            old, new = self.value(model_field, values[0]), self.value(model_field, values[1])
            if old or new:
                lines.append(ChangeLine(label=label, old=old, new=new))
        return lines

    def _record(self, model: type[models.Model] | None, entry: LogEntry) -> str:
        if pseudonym_label(model) is None:
            return entry.object_repr
        assert model is not None
        return self.names.get((model, str(entry.object_pk)), entry.object_repr)

    def entry(self, entry: LogEntry) -> DisplayEntry:
        model = entry.content_type.model_class()
        kind = (
            capfirst(str(model._meta.verbose_name))
            if model is not None
            else entry.content_type.name
        )
        account_id = (entry.additional_data or {}).get("account_id")
        return DisplayEntry(
            entry=entry,
            when=local_time(entry.timestamp),
            actor=person(entry.actor, entry.actor_email),
            action=str(ACTION_LABELS.get(entry.action, entry.get_action_display())),
            kind=kind,
            record=self._record(model, entry),
            account_id=account_id if isinstance(account_id, int) else None,
            lines=self.lines(entry),
        )


def entries_for_display(entries: Iterable[LogEntry]) -> list[DisplayEntry]:
    """A page of entries (with ``actor`` and ``content_type`` selected) as a person reads them."""
    entries = list(entries)
    formatter = _Formatter(entries)
    return [formatter.entry(entry) for entry in entries]

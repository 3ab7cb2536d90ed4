"""Reads of the privacy app: which contacts' retention has run out, the data-subject requests
and who may handle them, and everything the portal holds on one person.

Handling requests is for compliance and administrators (``request_handler_check``); accounts
are still reached through the one door (``accounts.selectors``) — the request list, the search
for the person and the copy of what we hold — so a request's contact is read with the same
rules as everywhere else, whoever handles it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import (
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.choices import AccountStatus
from accounts.models import Contact
from accounts.selectors import account_filter_for_user, account_get_for_user
from interactions.models import Interaction
from kam.models import User
from kam.quarters import portal_tz, today
from kam.roles import Role

from .models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RetentionClock,
    RetentionRule,
    RetentionRun,
)

# ---------------------------------------------------------------- who handles requests


def is_request_handler(user: User) -> bool:
    """Compliance and administrators handle data-subject requests."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_portal_admin or user.has_role(Role.COMPLIANCE))
    )


def request_handler_check(user: User) -> None:
    if not is_request_handler(user):
        raise PermissionDenied(_("Only compliance and administrators handle privacy requests."))


def request_handlers() -> QuerySet[User]:
    """Who is told of new and overdue requests: active compliance users and administrators."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[Role.COMPLIANCE, Role.ADMIN]) | Q(is_superuser=True))
        .distinct()
        .order_by("pk")
    )


def request_export_allowed(*, request: DataSubjectRequest, user: User) -> bool:
    """Four eyes on an access request's copy, which holds the person's phone and e-mail in
    full: it is exported by a compliance user or administrator other than the one who
    recorded the request, so that no one alone can both ask for and take anyone's data."""
    return is_request_handler(user) and request.recorded_by_id != user.pk


# ---------------------------------------------------------------- requests


def _reachable(user: User, field: str = "account") -> Q:
    """Rows whose account (``field``) ``user`` may see through the one door, or that belong to
    no account (a request of someone who is not a contact). ``account_filter_for_user`` is an
    empty Q for those who read every account, and an empty Q in an OR would drop the
    condition, so it is tested first."""
    reach = account_filter_for_user(user=user, field=field)
    if not reach:
        return Q()
    return Q(**{f"{field}__isnull": True}) | reach


def request_list(*, user: User, status: str = "open") -> QuerySet[DataSubjectRequest]:
    """Requests by status: ``open`` (open and in progress, the default), ``closed`` (done and
    refused) or ``all``; soonest due first. Those about an account are the ones ``user`` may
    see (compliance and administrators see every account)."""
    requests = (
        DataSubjectRequest.objects.filter(_reachable(user))
        .select_related("contact", "account", "handled_by")
        .defer("reply_to", "details")  # encrypted, and not listed
        .order_by("due_on", "pk")
    )
    if status == "open":
        return requests.filter(status__in=OPEN_STATUSES)
    if status == "closed":
        return requests.exclude(status__in=OPEN_STATUSES).order_by("-closed_at", "-pk")
    return requests


def request_get_for_user(*, user: User, pk: int | str) -> DataSubjectRequest:
    """One request: 403 for anyone but compliance and administrators, 404 when there is no
    such request; its account is read through the one door."""
    request_handler_check(user)
    try:
        request = DataSubjectRequest.objects.select_related(
            "contact", "account", "handled_by", "recorded_by"
        ).get(pk=pk)
    except (DataSubjectRequest.DoesNotExist, ValueError) as exc:
        raise Http404("No such request.") from exc
    if request.account_id is not None:
        request.account = account_get_for_user(user=user, pk=request.account_id)
    return request


def overdue_request_ids(*, on: dt.date) -> list[int]:
    """Open requests due before ``on`` whose handlers have not been told yet (the partial
    index on open requests' due dates)."""
    return list(
        DataSubjectRequest.objects.filter(
            status__in=OPEN_STATUSES, due_on__lt=on, overdue_notified_at__isnull=True
        )
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )


def contact_search(*, user: User, query: str, limit: int = 20) -> list[Contact]:
    """Contacts a person may be: an exact phone or e-mail (through the blind index: the values
    are encrypted), or a part of the name; among the accounts ``user`` may see (compliance
    reads every account)."""
    query = query.strip()
    if not query:
        return []
    matches = Contact.objects.filter(name__icontains=query)
    if "@" in query:
        matches = matches | Contact.objects.with_email(query)
    if sum(c.isdigit() for c in query) >= 6:
        matches = matches | Contact.objects.with_phone(query)
    return list(
        matches.filter(account_filter_for_user(user=user), anonymised_at__isnull=True)
        .select_related("account")
        .order_by("name", "pk")[:limit]
    )


# ---------------------------------------------------------------- retention


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=portal_tz())


def _before_the_day_after(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` (Beijing time): a clock that started at any time on
    ``day`` or before is earlier, so a period of N days from it runs out on ``day`` + N — the
    date ``retention_status`` shows, and the day the job anonymises."""
    return _start_of(day + dt.timedelta(days=1))


def _last_interaction() -> Subquery:
    """When the latest interaction a contact took part in happened."""
    return Subquery(
        Interaction.objects.filter(contacts=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1],
        output_field=DateTimeField(),
    )


def with_last_activity(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """``last_activity``: the later of the contact's last change and the last interaction it
    took part in; ``relationship_end``: the later of that and the account's exit
    (``Account.exited_at``, stamped once when it became exited — not its last change, which
    every edit and rescoring moves). Null while the account has no exit."""
    changed = F("updated_at")
    last_activity = Greatest(Coalesce(_last_interaction(), changed), changed)
    return contacts.annotate(
        last_activity=last_activity,
        relationship_end=Greatest(last_activity, F("account__exited_at")),
    )


def expired_contacts(*, rule: RetentionRule, on: dt.date) -> QuerySet[Contact]:
    """The contacts on ``rule``'s legal basis whose retention period runs out on ``on`` or
    before — a clock started on day D (at any time of it) with a period of N days runs out
    on D + N, as ``retention_status`` says — and that are not anonymised yet."""
    contacts: QuerySet[Contact] = Contact.objects.filter(
        legal_basis=rule.legal_basis, anonymised_at__isnull=True
    )
    limit = on - dt.timedelta(days=rule.retention_days)  # the latest start that has run out
    if rule.clock == RetentionClock.CONSENT_WITHDRAWN:
        return contacts.filter(consent_withdrawn_on__lte=limit)
    contacts = with_last_activity(contacts)
    if rule.clock == RetentionClock.ACCOUNT_EXITED:
        return contacts.filter(
            # Q(): annotations, which the type checker's plugin does not know.
            Q(relationship_end__lt=_before_the_day_after(limit)),
            account__status=AccountStatus.EXITED,
            account__exited_at__isnull=False,
        )
    return contacts.filter(Q(last_activity__lt=_before_the_day_after(limit)))


def expired_contact_ids(*, on: dt.date, among: list[int] | None = None) -> list[int]:
    """Ids of every contact whose retention has run out by ``on``, under the active rules;
    ``among`` narrows it to those ids (a chunk checks again before it anonymises)."""
    ids: set[int] = set()
    for rule in RetentionRule.objects.filter(is_active=True):
        expired = expired_contacts(rule=rule, on=on)
        if among is not None:
            expired = expired.filter(pk__in=among)
        ids.update(expired.values_list("pk", flat=True))
    return sorted(ids)


@dataclass(frozen=True)
class RetentionStatus:
    rule: RetentionRule | None
    expires_on: dt.date | None  # None: the period is not running (or no rule)

    @property
    def held(self) -> bool:
        """Whether the information is kept for now: a rule applies and is not run out (the
        job anonymises on ``expires_on``)."""
        return self.rule is not None and (
            not self.rule.is_active or self.expires_on is None or self.expires_on > today()
        )

    @property
    def deletion_refusal(self) -> str:
        """Why a request to delete the information must be refused now, in the words the
        person is told; empty when it may be deleted. Refused while the rule is on hold (a
        legal hold), or while a period a law requires (``required_by_law``) has not run out
        — not started yet (the relationship goes on) or running."""
        rule = self.rule
        if rule is None:
            return ""
        basis = rule.get_legal_basis_display()
        if not rule.is_active:
            return _(
                "The information is kept under a legal hold on its legal basis (%(basis)s)."
            ) % {"basis": basis}
        if not rule.required_by_law or (self.expires_on and self.expires_on <= today()):
            return ""
        why = f" ({rule.note.rstrip('.')})" if rule.note else ""
        if self.expires_on is None:
            return _(
                "The law requires keeping the information on its legal basis (%(basis)s) for "
                "%(days)d days %(clock)s%(why)s; that period has not started yet."
            ) % {
                "basis": basis,
                "days": rule.retention_days,
                "clock": str(rule.get_clock_display()).lower(),
                "why": why,
            }
        return _(
            "The law requires keeping the information on its legal basis (%(basis)s) until "
            "%(until)s%(why)s."
        ) % {"basis": basis, "until": self.expires_on.isoformat(), "why": why}


def retention_status(contact: Contact) -> RetentionStatus:
    """Until when ``contact``'s information is kept under its legal basis's rule."""
    rule = RetentionRule.objects.filter(legal_basis=contact.legal_basis).first()
    if rule is None:
        return RetentionStatus(rule=None, expires_on=None)
    period = dt.timedelta(days=rule.retention_days)
    if rule.clock == RetentionClock.CONSENT_WITHDRAWN:
        start = contact.consent_withdrawn_on
        return RetentionStatus(rule=rule, expires_on=start + period if start else None)
    row = with_last_activity(Contact.objects.filter(pk=contact.pk)).select_related("account").get()
    if rule.clock == RetentionClock.ACCOUNT_EXITED:
        if row.account.status != AccountStatus.EXITED or row.account.exited_at is None:
            return RetentionStatus(rule=rule, expires_on=None)
        moment = getattr(row, "relationship_end")  # noqa: B009 (an annotation)
    else:
        moment = getattr(row, "last_activity")  # noqa: B009 (an annotation)
    return RetentionStatus(rule=rule, expires_on=timezone.localtime(moment).date() + period)


# ---------------------------------------------------------------- what we hold on a person


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value if value not in (None, "") else ""


def access_export_rows(*, user: User, contact: Contact) -> Iterator[list[Any]]:
    """Everything the portal holds on ``contact``'s person, as (section, item, value) rows:
    their record in full (phone and e-mail decrypted), the organisation, the interactions they
    took part in (date, channel and subject — never the notes; a confidential one by its date
    and channel only) and their requests to us. Read through the one door as ``user``: the
    contact's account must be one they may see (404 otherwise), and so must each row's."""
    reach = account_filter_for_user(user=user)
    if not Contact.objects.filter(reach, pk=contact.pk).exists():
        raise Http404("No such contact.")
    section = _("Contact")
    labels = {f.name: capfirst(str(f.verbose_name)) for f in Contact._meta.concrete_fields}
    yield [_("Organisation"), labels["account"], contact.account.display_name]
    shown: list[tuple[str, Any]] = [
        ("name", contact.name),
        ("title", contact.title),
        ("seniority", contact.get_seniority_display()),
        ("influence", contact.get_influence_display()),
        ("attitude", contact.get_attitude_display()),
        ("channel_preferences", ", ".join(contact.channel_preference_labels)),
        ("phone", contact.phone),
        ("email", contact.email),
        ("is_primary", _("Yes") if contact.is_primary else _("No")),
        ("legal_basis", contact.get_legal_basis_display()),
        ("purpose", contact.purpose),
        ("notice_given_on", contact.notice_given_on),
        ("source", contact.get_source_display()),
        ("consent_given_on", contact.consent_given_on),
        ("consent_withdrawn_on", contact.consent_withdrawn_on),
        ("cross_border_transfer", _("Yes") if contact.leaves_mainland else _("No")),
        ("cross_border_recipient", contact.cross_border_recipient),
        ("cross_border_consent_on", contact.cross_border_consent_on),
        ("cross_border_withdrawn_on", contact.cross_border_withdrawn_on),
        ("created_at", contact.created_at),
        ("updated_at", contact.updated_at),
        ("anonymised_at", contact.anonymised_at),
    ]
    for name, value in shown:
        yield [section, labels[name], _date(value)]
    interactions = (
        Interaction.objects.filter(reach, contacts=contact)
        .select_related("channel")
        .order_by("occurred_at", "pk")
        .values_list("occurred_at", "channel__name", "subject", "is_confidential")
    )
    for occurred_at, channel, subject, confidential in interactions.iterator(500):
        what = f"{channel} — {_('confidential interaction') if confidential else subject}"
        yield [_("Interaction"), _date(occurred_at), what]
    requests = DataSubjectRequest.objects.filter(reach, contact=contact).order_by(
        "received_on", "pk"
    )
    for request in requests:
        yield [
            _("Request to us"),
            _date(request.received_on),
            f"{request.get_kind_display()} — {request.get_status_display()}",
        ]


def request_counts() -> dict[str, int]:
    """Open and overdue requests, for the list's header."""
    open_requests = DataSubjectRequest.objects.filter(status__in=OPEN_STATUSES)
    return {
        "open": open_requests.count(),
        "overdue": open_requests.filter(due_on__lt=today()).count(),
    }


# ---------------------------------------------------------------- evidence kept on requests


def requests_past_evidence_ids(*, on: dt.date) -> list[int]:
    """Closed requests not erased yet whose evidence period has run out by ``on``: closed
    ``PRIVACY_REQUEST_RETENTION_DAYS`` days or more before (``evidence_ends_on``), like the
    contacts' periods."""
    limit = on - dt.timedelta(days=settings.PRIVACY_REQUEST_RETENTION_DAYS)
    return list(
        DataSubjectRequest.objects.exclude(status__in=OPEN_STATUSES)
        .filter(erased_at__isnull=True, closed_at__lt=_before_the_day_after(limit))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def retention_run_latest() -> RetentionRun | None:
    """The retention job's latest run, as the request list shows it."""
    return RetentionRun.objects.order_by("-on").first()

"""Covenants (levels, test calendar), their figures entered one by one or imported from a CSV
file, cures, waivers and amendments, and the compliance-certificate reminders.

An import is all or nothing: every row is checked first (numbers, dates, known metric, a
project of this account that the user may change, a covenant for that metric, no row twice);
one bad row rejects the whole file with a report per row, and nothing is saved."""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Project
from accounts.rights import Right
from accounts.selectors import account_list_for_user
from kam.audit import audit_update
from kam.models import User
from kam.roles import Role
from kam.services import NotificationDraft, notification_send, notification_send_many

from ..choices import (
    CovenantBasis,
    CovenantFrequency,
    CovenantLevelKind,
    CovenantSource,
    WaiverKind,
    WaiverStatus,
)
from ..conf import certificate_reminder_days
from ..models import (
    CovenantLevel,
    CovenantMetric,
    CovenantTest,
    CovenantWaiver,
    EsgEvent,
    ProjectCovenant,
    add_months,
)
from ..selectors import approver_choices
from . import ratios

MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 1_000_000
IMPORT_COLUMNS = ("project_id", "metric", "period_end", "value")
# Optional: the ratio's inputs (DSCR: cfads, debt_service; LLCR: cfads_forecast as numbers
# separated by ";", discount_rate_pct, debt_outstanding) and the certificate's receipt.
OPTIONAL_COLUMNS = (
    "note",
    "certificate_received_on",
    "cfads",
    "debt_service",
    "cfads_forecast",
    "discount_rate_pct",
    "debt_outstanding",
)
FIGURE_LIMIT = Decimal("1e10")
INPUT_LIMIT = Decimal("1e16")
MAX_FORECAST_PERIODS = 120


# ---------------------------------------------------------------- covenants and their levels


def _check_order(*, metric: CovenantMetric, lock_up: Decimal | None, default: Decimal) -> None:
    """The lock-up level is met before the default level: higher for a minimum, lower for a
    maximum."""
    if lock_up is None:
        return
    wrong = lock_up < default if metric.is_minimum else lock_up > default
    if wrong or lock_up == default:
        raise ValidationError(
            {
                "lock_up_threshold": _(
                    "For a minimum the lock-up level must be above the event-of-default "
                    "level; for a maximum, below it."
                )
            }
        )


@transaction.atomic
def covenant_save(
    *,
    project: Project,
    metric: CovenantMetric,
    threshold: Decimal,
    lock_up_threshold: Decimal | None = None,
    basis: str = CovenantBasis.BACKWARD,
    frequency: int = CovenantFrequency.SEMI_ANNUAL,
    next_test_date: date | None = None,
    certificate_days: int = 60,
    clause: str = "",
) -> ProjectCovenant:
    """Add a project's covenant or correct it: ``threshold`` is its event-of-default level,
    ``lock_up_threshold`` its lock-up (cash sweep) level, both from the start of the loan.
    Figures already recorded keep the levels they were tested against; a change agreed with
    the lenders from a date is an amendment (``covenant_waiver_record``)."""
    _check_order(metric=metric, lock_up=lock_up_threshold, default=threshold)
    # Two saves of the same new covenant at once: get_or_create inserts in a savepoint and,
    # when the other one's insert won, reads it back instead of failing on the unique key.
    covenant, _created = ProjectCovenant.objects.select_for_update().get_or_create(
        project=project, metric=metric
    )
    covenant.basis = basis
    covenant.frequency = frequency
    covenant.next_test_date = next_test_date
    covenant.certificate_days = certificate_days
    covenant.clause = clause
    covenant.full_clean()
    covenant.save()
    wanted = {
        CovenantLevelKind.EVENT_OF_DEFAULT: threshold,
        CovenantLevelKind.LOCK_UP: lock_up_threshold,
    }
    original = {level.kind: level for level in covenant.levels.filter(valid_from__isnull=True)}
    for kind, value in wanted.items():
        level = original.get(kind)
        if value is None:
            if level is not None:
                level.delete()
        elif level is None:
            level = CovenantLevel(covenant=covenant, kind=kind, threshold=value)
            level.full_clean()
            level.save()
        elif level.threshold != value:
            level.threshold = value
            level.full_clean()
            level.save()
    return covenant


def _levels(covenant: ProjectCovenant, period_end: date) -> tuple[Decimal | None, Decimal]:
    """(lock-up, event of default) in force for a period; the covenant must have a default."""
    levels = covenant.levels_on(period_end)
    default = levels.get(CovenantLevelKind.EVENT_OF_DEFAULT)
    if default is None:
        raise ValidationError(
            _("%(covenant)s has no event-of-default level for %(period)s.")
            % {"covenant": covenant, "period": period_end.isoformat()}
        )
    return levels.get(CovenantLevelKind.LOCK_UP), default


@dataclass(frozen=True)
class RatioInputs:
    """What a borrower reports behind its DSCR (CFADS, debt service) or LLCR (CFADS forecast
    over the remaining loan life, discount rate, debt outstanding)."""

    cfads: Decimal | None = None
    debt_service: Decimal | None = None
    cfads_forecast: tuple[Decimal, ...] = ()
    discount_rate_pct: Decimal | None = None
    debt_outstanding: Decimal | None = None

    @property
    def given(self) -> bool:
        return any(
            v not in (None, ())
            for v in (
                self.cfads,
                self.debt_service,
                self.cfads_forecast,
                self.discount_rate_pct,
                self.debt_outstanding,
            )
        )


def ratio_from_inputs(
    *, metric: CovenantMetric, inputs: RatioInputs, periods_per_year: int
) -> Decimal | None:
    """DSCR or LLCR from its inputs (None when none were given); incomplete or impossible
    inputs are refused with a message per field."""
    if not inputs.given:
        return None
    if metric.code == "dscr":
        if inputs.cfads is None or inputs.debt_service is None:
            raise ValidationError(_("A DSCR from its inputs needs both CFADS and debt service."))
        if inputs.debt_service <= 0:
            raise ValidationError({"debt_service": _("Debt service must be above zero.")})
        return ratios.dscr(cfads=inputs.cfads, debt_service=inputs.debt_service)
    if metric.code == "llcr":
        if (
            not inputs.cfads_forecast
            or inputs.discount_rate_pct is None
            or inputs.debt_outstanding is None
        ):
            raise ValidationError(
                _(
                    "An LLCR from its inputs needs the CFADS forecast, the discount rate and "
                    "the debt outstanding."
                )
            )
        if inputs.debt_outstanding <= 0:
            raise ValidationError({"debt_outstanding": _("Debt outstanding must be above zero.")})
        if not -100 < inputs.discount_rate_pct < 100:
            raise ValidationError({"discount_rate_pct": _("The discount rate is not possible.")})
        return ratios.llcr(
            cfads_forecast=inputs.cfads_forecast,
            annual_rate_pct=inputs.discount_rate_pct,
            debt_outstanding=inputs.debt_outstanding,
            periods_per_year=periods_per_year,
        )
    raise ValidationError(
        _("Only DSCR and LLCR are computed from inputs; leave the inputs empty for %(metric)s.")
        % {"metric": metric.display_name}
    )


@transaction.atomic
def covenant_test_record(
    *,
    project: Project,
    metric: CovenantMetric,
    period_end: date,
    value: Decimal | None,
    user: User | None,
    note: str = "",
    source: str = CovenantSource.PORTAL,
    inputs: RatioInputs | None = None,
    certificate_received_on: date | None = None,
) -> CovenantTest:
    """Record (or correct) a project's figure for a period, against the covenant's levels in
    force for that period. With inputs, DSCR or LLCR is computed too: the reported value is
    kept (it is what the borrower certified) and flagged when it differs from the computed one
    beyond the tolerance; without a reported value the computed one is the figure. A received
    compliance certificate for the scheduled test moves the next test date on."""
    covenant = (
        ProjectCovenant.objects.filter(project=project, metric=metric)
        .prefetch_related("levels")
        .first()
    )
    if covenant is None:
        raise ValidationError(
            {
                "metric": _("%(project)s has no %(metric)s covenant; add its threshold first.")
                % {"project": project.name, "metric": metric.display_name}
            }
        )
    inputs = inputs or RatioInputs()
    computed = ratio_from_inputs(
        metric=metric, inputs=inputs, periods_per_year=12 // covenant.frequency
    )
    if value is None:
        if computed is None:
            raise ValidationError({"value": _("Give the reported value, or its inputs.")})
        value = computed
    lock_up, default = _levels(covenant, period_end)
    test = CovenantTest.objects.filter(
        project=project, metric=metric, period_end=period_end
    ).first()
    if test is None:
        test = CovenantTest(project=project, metric=metric, period_end=period_end)
    test.account_id = project.account_id
    test.value = value
    test.threshold = default
    test.lock_up_threshold = lock_up
    test.direction = metric.direction
    test.note = note
    test.source = source
    test.entered_by = user
    test.cfads = inputs.cfads
    test.debt_service = inputs.debt_service
    test.cfads_forecast = [str(v) for v in inputs.cfads_forecast]
    test.discount_rate_pct = inputs.discount_rate_pct
    test.debt_outstanding = inputs.debt_outstanding
    test.computed_value = computed
    test.value_mismatch = computed is not None and ratios.mismatch(
        reported=value, computed=computed
    )
    if certificate_received_on is not None:
        test.certificate_received_on = certificate_received_on
    test.full_clean()
    test.save()
    if test.certificate_received_on is not None:
        _advance_schedule(covenant, period_end)
    return test


def _advance_schedule(covenant: ProjectCovenant, period_end: date) -> None:
    """The certificate of the scheduled test (or a later one) is in: the next test date moves
    on by the covenant's frequency, past this period."""
    if covenant.next_test_date is None or period_end < covenant.next_test_date:
        return
    following = covenant.next_test_date
    while following <= period_end:
        following = add_months(following, covenant.frequency)
    covenant.next_test_date = following
    covenant.save(update_fields=["next_test_date", "updated_at"])


def covenant_test_levels_apply(*, test: CovenantTest, covenant: ProjectCovenant) -> None:
    """Copy the covenant's levels for the test's period onto an unsaved test (the admin)."""
    test.lock_up_threshold, test.threshold = _levels(covenant, test.period_end)
    test.direction = covenant.metric.direction
    test.account_id = covenant.project.account_id


# ---------------------------------------------------------------- cures, waivers, amendments


@transaction.atomic
def covenant_waiver_record(
    *,
    covenant: ProjectCovenant,
    user: User,
    kind: str,
    approved_by: User,
    approved_on: date,
    reason: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    test: CovenantTest | None = None,
    effective_from: date | None = None,
    lock_up_threshold: Decimal | None = None,
    threshold: Decimal | None = None,
) -> CovenantWaiver:
    """Record a cure or waiver (of one figure, or covenant-wide of the figures of the periods
    ending from ``valid_from`` to ``valid_until``) or an amendment (new levels from
    ``effective_from``), *pending*: it relieves nothing and changes no level until the
    approver it names, who is not ``user``, confirms it (``covenant_waiver_decide``). The
    approver is notified. An amendment back-dated before today is a risk officer's to record."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    account = covenant.project.account
    if approved_by.pk == user.pk:
        errors["approved_by"] = _("Name an approver other than yourself.")
    elif not approver_choices(account=account, recorder=user).filter(pk=approved_by.pk).exists():
        errors["approved_by"] = _(
            "Name a risk officer, an executive or a team lead who sees this account."
        )
    if test is not None and (test.project_id, test.metric_id) != (
        covenant.project_id,
        covenant.metric_id,
    ):
        errors["test"] = _("Choose a figure of this covenant.")
    if kind == WaiverKind.AMENDMENT:
        if effective_from is None:
            errors["effective_from"] = _("An amendment applies from a date.")
        elif effective_from < today and not user.has_role(Role.RISK):
            errors["effective_from"] = _(
                "Only a risk officer records an amendment that applies from before today."
            )
        if lock_up_threshold is None and threshold is None:
            errors["threshold"] = _("Give the amended level(s).")
        if test is not None:
            errors["test"] = _("An amendment changes the covenant, not one figure.")
    elif lock_up_threshold is not None or threshold is not None or effective_from is not None:
        errors["kind"] = _("Only an amendment changes the levels.")
    elif test is None and valid_until is None:
        errors["valid_until"] = _(
            "A covenant-wide cure or waiver covers the periods up to a date: give it."
        )
    if test is not None and valid_from is not None:
        errors["valid_from"] = _("A cure or waiver of one figure covers that figure only.")
    if errors:
        raise ValidationError(errors)
    waiver = CovenantWaiver(
        covenant=covenant,
        test=test,
        kind=kind,
        approved_by=approved_by,
        approved_on=approved_on,
        valid_from=valid_from,
        valid_until=valid_until,
        effective_from=effective_from if kind == WaiverKind.AMENDMENT else None,
        proposed_lock_up_threshold=lock_up_threshold,
        proposed_threshold=threshold,
        reason=reason,
        recorded_by=user,
        status=WaiverStatus.PENDING,
    )
    waiver.full_clean()
    if kind == WaiverKind.AMENDMENT:
        assert effective_from is not None
        _amended_levels(covenant, effective_from, lock_up_threshold, threshold)
    waiver.save()
    _notify(
        waiver,
        to=approved_by,
        stage="pending",
        title=gettext_lazy("To approve: %(kind)s of %(project)s, %(metric)s"),
        body=gettext_lazy(
            "%(recorder)s recorded a %(kind)s naming you as its approver. It relieves "
            "nothing until you confirm it."
        ),
        url=reverse("risk:covenant_waiver_decide", args=[account.pk, waiver.pk]),
    )
    return waiver


class WaiverChanged(Exception):
    """The cure, waiver or amendment was decided by someone else meanwhile."""


@transaction.atomic
def covenant_waiver_decide(
    *, waiver: CovenantWaiver, user: User, approve: bool, note: str = ""
) -> CovenantWaiver:
    """The named approver confirms or rejects a pending cure, waiver or amendment: once, and
    never their own record. An approved amendment's levels are then added and the figures
    of periods from its date re-tested against them. The recorder is notified."""
    if waiver.approved_by_id != user.pk:
        raise PermissionDenied(_("Only the approver it names decides on it."))
    if waiver.recorded_by_id == user.pk:
        raise PermissionDenied(_("Nobody approves their own record."))
    now = timezone.now()
    claimed = CovenantWaiver.objects.filter(pk=waiver.pk, status=WaiverStatus.PENDING).update(
        status=WaiverStatus.APPROVED if approve else WaiverStatus.REJECTED,
        decided_at=now,
        decided_by=user,
        decision_note=note[:300],
        updated_at=now,
    )
    if claimed != 1:
        raise WaiverChanged(_("It has been decided already."))
    before = copy.copy(waiver)
    waiver.refresh_from_db()
    audit_update(old=before, new=waiver)
    if approve and waiver.kind == WaiverKind.AMENDMENT:
        assert waiver.effective_from is not None
        _amend(
            waiver.covenant,
            waiver,
            waiver.effective_from,
            waiver.proposed_lock_up_threshold,
            waiver.proposed_threshold,
        )
    if waiver.recorded_by is not None and waiver.recorded_by.is_active:
        _notify(
            waiver,
            to=waiver.recorded_by,
            stage=waiver.status,
            title=(
                gettext_lazy("Approved: %(kind)s of %(project)s, %(metric)s")
                if approve
                else gettext_lazy("Rejected: %(kind)s of %(project)s, %(metric)s")
            ),
            body=gettext_lazy("%(approver)s decided on the %(kind)s you recorded. %(note)s"),
            url=reverse("risk:account_covenants", args=[waiver.covenant.project.account_id]),
        )
    return waiver


def _notify(
    waiver: CovenantWaiver, *, to: User, stage: str, title: StrPromise, body: StrPromise, url: str
) -> None:
    """One notification per (record, stage), in the reader's language."""
    with translation.override(to.language or settings.LANGUAGE_CODE):
        names = {
            "kind": str(WaiverKind(waiver.kind).label).lower(),
            "project": waiver.covenant.project.name,
            "metric": waiver.covenant.metric.display_name,
            "recorder": waiver.recorded_by.short_name if waiver.recorded_by else "",
            "approver": waiver.approved_by.short_name,
            "note": waiver.decision_note,
        }
        notification_send(
            user=to,
            title=str(title) % names,
            body=(str(body) % names).strip(),
            url=url,
            key=f"covenant-waiver:{waiver.pk}:{stage}",
            level="warning" if stage == WaiverStatus.PENDING else "info",
            email=True,
        )


def _amended_levels(
    covenant: ProjectCovenant,
    effective_from: date,
    lock_up: Decimal | None,
    default: Decimal | None,
) -> dict[str, Decimal | None]:
    """The levels an amendment adds, checked against those in force from its date."""
    before = covenant.levels_on(effective_from)
    new: dict[str, Decimal | None] = {
        CovenantLevelKind.LOCK_UP: lock_up,
        CovenantLevelKind.EVENT_OF_DEFAULT: default,
    }
    after: dict[str, Decimal] = {**before, **{k: v for k, v in new.items() if v is not None}}
    if CovenantLevelKind.EVENT_OF_DEFAULT not in after:
        raise ValidationError({"threshold": _("Give the event-of-default level.")})
    _check_order(
        metric=covenant.metric,
        lock_up=after.get(CovenantLevelKind.LOCK_UP),
        default=after[CovenantLevelKind.EVENT_OF_DEFAULT],
    )
    return new


def _amend(
    covenant: ProjectCovenant,
    amendment: CovenantWaiver,
    effective_from: date,
    lock_up: Decimal | None,
    default: Decimal | None,
) -> None:
    new = _amended_levels(covenant, effective_from, lock_up, default)
    taken = set(covenant.levels.filter(valid_from=effective_from).values_list("kind", flat=True))
    for kind, value in new.items():
        if value is None:
            continue
        if kind in taken:
            raise ValidationError(
                {"effective_from": _("Another amendment already sets this level from that date.")}
            )
        level = CovenantLevel(
            covenant=covenant,
            kind=kind,
            threshold=value,
            valid_from=effective_from,
            amendment=amendment,
        )
        level.full_clean()
        level.save()
    # Figures already recorded for periods from that date are tested against the new levels.
    covenant = ProjectCovenant.objects.prefetch_related("levels").get(pk=covenant.pk)
    for test in CovenantTest.objects.filter(
        project_id=covenant.project_id, metric_id=covenant.metric_id, period_end__gte=effective_from
    ):
        lock_up_now, default_now = _levels(covenant, test.period_end)
        if (test.lock_up_threshold, test.threshold) != (lock_up_now, default_now):
            test.lock_up_threshold, test.threshold = lock_up_now, default_now
            test.save(update_fields=["lock_up_threshold", "threshold", "updated_at"])


# ---------------------------------------------------------------- certificate reminders


def covenant_certificate_reminders_send(*, today: date | None = None) -> int:
    """Remind each covenant's owner RM of a compliance certificate due within the reminder
    window, and again once it is overdue: once per (covenant, test date, stage), whatever the
    number of runs (keyed notifications). Returns the number sent now."""
    today = today or timezone.localdate()
    window = certificate_reminder_days()
    covenants = (
        ProjectCovenant.objects.filter(
            next_test_date__isnull=False, next_test_date__lte=today + timedelta(days=window)
        )
        .select_related("project__account__owner", "metric")
        .order_by("pk")
    )
    drafts: list[NotificationDraft] = []
    sent = 0
    for covenant in covenants.iterator(chunk_size=2000):
        due = covenant.certificate_due_on
        owner = covenant.project.account.owner
        if due is None or owner is None or not owner.is_active or (due - today).days > window:
            continue
        stage = "overdue" if due < today else "due"
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            drafts.append(_certificate_draft(covenant, owner, due, stage))
        if len(drafts) >= 1000:
            sent += notification_send_many(drafts=drafts, email=True)
            drafts = []
    return sent + notification_send_many(drafts=drafts, email=True)


def _certificate_draft(
    covenant: ProjectCovenant, owner: User, due: date, stage: str
) -> NotificationDraft:
    assert covenant.next_test_date is not None
    names = {
        "project": covenant.project.name,
        "metric": covenant.metric.display_name,
        "test": covenant.next_test_date.isoformat(),
        "due": due.isoformat(),
    }
    if stage == "overdue":
        title = _("Compliance certificate overdue: %(project)s, %(metric)s") % names
        body = (
            _(
                "The compliance certificate for the %(metric)s test of %(test)s was due on "
                "%(due)s and has not been recorded as received."
            )
            % names
        )
    else:
        title = _("Compliance certificate due %(due)s: %(project)s, %(metric)s") % names
        body = (
            _(
                "The borrower's compliance certificate for the %(metric)s test of %(test)s is due "
                "on %(due)s. Record the figure and the date received when it arrives."
            )
            % names
        )
    return NotificationDraft(
        user=owner,
        title=title,
        body=body,
        url=reverse("risk:account_covenants", args=[covenant.project.account_id]),
        key=f"covenant-certificate:{covenant.pk}:{covenant.next_test_date:%Y-%m-%d}:{stage}",
        level="danger" if stage == "overdue" else "warning",
    )


@dataclass
class RowReport:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    rows: list[RowReport] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)

    @property
    def error_rows(self) -> list[RowReport]:
        return [r for r in self.rows if r.errors]


def _decode(upload: IO[bytes]) -> str:
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValueError(_("The file is larger than 1 MB."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("The file is not text in UTF-8 or GB18030."))


def covenant_tests_import(*, account: Account, user: User, upload: IO[bytes]) -> ImportResult:
    """Check every row of a CSV file of covenant figures; save all of them or none."""
    result = ImportResult()
    try:
        text = _decode(upload)
    except ValueError as exc:
        result.file_errors.append(str(exc))
        return result
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        result.file_errors.append(
            _("Missing columns: %(missing)s. Expected: %(expected)s (and optionally %(optional)s).")
            % {
                "missing": ", ".join(missing),
                "expected": ", ".join(IMPORT_COLUMNS),
                "optional": ", ".join(OPTIONAL_COLUMNS),
            }
        )
        return result
    raw_rows = []
    for line, record in enumerate(reader, start=2):
        values = {
            (k or "").strip().lower(): (v if isinstance(v, str) else "").strip()
            for k, v in record.items()
        }
        if not any(values.values()):
            continue
        raw_rows.append(RowReport(line=line, values=values))
        if len(raw_rows) > MAX_IMPORT_ROWS:
            result.file_errors.append(
                _("The file has more than %(n)s rows; split it.") % {"n": MAX_IMPORT_ROWS}
            )
            return result
    if not raw_rows:
        result.file_errors.append(_("The file has no rows."))
        return result
    result.rows = raw_rows

    # Everything the rows refer to, in a fixed number of queries.
    project_ids = {
        int(r.values["project_id"]) for r in raw_rows if r.values["project_id"].isdigit()
    }
    writable = account_list_for_user(user=user, right=Right.EDIT_PROJECTS)
    projects = {
        p.pk: p
        for p in Project.objects.filter(pk__in=project_ids, account__in=writable).select_related(
            "account"
        )
    }
    metrics = {m.code: m for m in CovenantMetric.objects.filter(is_active=True)}
    covenants = {
        (c.project_id, c.metric_id): c
        for c in ProjectCovenant.objects.filter(project_id__in=list(projects)).select_related(
            "metric"
        )
    }

    seen: dict[tuple[int, str, date], int] = {}
    parsed: list[_ParsedRow] = []
    for row in raw_rows:
        v = row.values
        project = metric = period = value = None
        if not v["project_id"].isdigit():
            row.errors.append(
                _("project_id must be a project number; got “%(v)s”.") % {"v": v["project_id"]}
            )
        else:
            project = projects.get(int(v["project_id"]))
            if project is None:
                # The same words for "no such project" and "not yours": default deny.
                row.errors.append(
                    _("Project %(id)s does not exist or you may not change it.")
                    % {"id": v["project_id"]}
                )
            elif project.account_id != account.pk:
                row.errors.append(
                    _("Project %(id)s (%(name)s) belongs to another account, not to %(account)s.")
                    % {"id": project.pk, "name": project.name, "account": account.display_name}
                )
                project = None
        metric = metrics.get(v["metric"].lower())
        if metric is None:
            row.errors.append(
                _("Unknown metric “%(m)s”; use one of: %(codes)s.")
                % {"m": v["metric"], "codes": ", ".join(sorted(metrics))}
            )
        period = parse_date(v["period_end"]) if _looks_like_date(v["period_end"]) else None
        if period is None:
            row.errors.append(
                _("period_end must be a date as YYYY-MM-DD; got “%(v)s”.") % {"v": v["period_end"]}
            )
        value = _parse_figure(v["value"]) if v["value"] else None
        if v["value"] and value is None:
            row.errors.append(_("value must be a number; got “%(v)s”.") % {"v": v["value"]})
        inputs, received = _parse_optional(v, row.errors)
        if not v["value"] and not inputs.given:
            row.errors.append(_("value is empty and there are no inputs to compute it from."))
        covenant = (
            covenants.get((project.pk, metric.pk))
            if project is not None and metric is not None
            else None
        )
        if covenant is not None and inputs.given:
            try:
                ratio_from_inputs(
                    metric=covenant.metric,
                    inputs=inputs,
                    periods_per_year=12 // covenant.frequency,
                )
            except ValidationError as exc:
                row.errors.extend(exc.messages)
        if project is not None and metric is not None and (project.pk, metric.pk) not in covenants:
            row.errors.append(
                _("%(project)s has no %(metric)s covenant; add its threshold first.")
                % {"project": project.name, "metric": metric.display_name}
            )
        if project is not None and metric is not None and period is not None:
            key = (project.pk, metric.code, period)
            if key in seen:
                row.errors.append(
                    _("The same project, metric and period as line %(line)s.") % {"line": seen[key]}
                )
            else:
                seen[key] = row.line
        if not row.errors:
            assert project is not None and metric is not None and period is not None
            parsed.append(
                _ParsedRow(
                    project, metric, period, value, v.get("note", "")[:300], inputs, received
                )
            )
    if not result.ok:
        return result

    existing = set(
        CovenantTest.objects.filter(project_id__in=list(projects)).values_list(
            "project_id", "metric_id", "period_end"
        )
    )
    with transaction.atomic():
        for item in parsed:
            covenant_test_record(
                project=item.project,
                metric=item.metric,
                period_end=item.period,
                value=item.value,
                user=user,
                note=item.note,
                source=CovenantSource.IMPORT,
                inputs=item.inputs,
                certificate_received_on=item.received,
            )
            if (item.project.pk, item.metric.pk, item.period) in existing:
                result.updated += 1
            else:
                result.created += 1
    return result


@dataclass(frozen=True)
class _ParsedRow:
    project: Project
    metric: CovenantMetric
    period: date
    value: Decimal | None
    note: str
    inputs: RatioInputs
    received: date | None


def _parse_optional(values: dict[str, str], errors: list[str]) -> tuple[RatioInputs, date | None]:
    """The optional columns of a row: the ratio's inputs and the certificate's receipt."""
    amounts: dict[str, Decimal | None] = {}
    places = {"cfads": 2, "debt_service": 2, "discount_rate_pct": 4, "debt_outstanding": 2}
    for name, decimals in places.items():
        text = values.get(name, "")
        amounts[name] = _parse_amount(text, decimals) if text else None
        if text and amounts[name] is None:
            errors.append(
                _("%(column)s must be a number; got “%(v)s”.") % {"column": name, "v": text}
            )
    forecast: list[Decimal] = []
    text = values.get("cfads_forecast", "")
    if text:
        parts = [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
        numbers = [_parse_amount(p, 2) for p in parts]
        if any(n is None for n in numbers) or len(numbers) > MAX_FORECAST_PERIODS:
            errors.append(
                _("cfads_forecast must be up to %(n)s numbers separated by “;”; got “%(v)s”.")
                % {"n": MAX_FORECAST_PERIODS, "v": text[:60]}
            )
        else:
            forecast = [n for n in numbers if n is not None]
    received = None
    text = values.get("certificate_received_on", "")
    if text:
        received = parse_date(text) if _looks_like_date(text) else None
        if received is None:
            errors.append(
                _("certificate_received_on must be a date as YYYY-MM-DD; got “%(v)s”.")
                % {"v": text}
            )
    inputs = RatioInputs(
        cfads=amounts["cfads"],
        debt_service=amounts["debt_service"],
        cfads_forecast=tuple(forecast),
        discount_rate_pct=amounts["discount_rate_pct"],
        debt_outstanding=amounts["debt_outstanding"],
    )
    return inputs, received


def _parse_amount(text: str, places: int) -> Decimal | None:
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= INPUT_LIMIT:
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def _looks_like_date(text: str) -> bool:
    try:
        return parse_date(text) is not None
    except ValueError:
        return False


def _parse_figure(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= FIGURE_LIMIT:
        return None
    return number.quantize(Decimal("0.0001"))


# ---------------------------------------------------------------- ESG events


@transaction.atomic
def esg_event_record(*, account: Account, user: User, **data: Any) -> EsgEvent:
    event = EsgEvent(account=account, recorded_by=user, **data)
    project = event.project if event.project_id else None
    if project is not None and project.account_id != account.pk:
        raise ValidationError({"project": _("Choose a project of this account.")})
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def esg_event_close(*, event: EsgEvent, closed_on: date, note: str) -> EsgEvent:
    before = copy.copy(event)
    EsgEvent.objects.filter(pk=event.pk, closed_on__isnull=True).update(
        closed_on=closed_on, closing_note=note
    )
    event.refresh_from_db()
    audit_update(old=before, new=event)
    return event

"""The IDOR crawl of issue 14: every page of the portal, opened by every kind of user, shows
nothing of a book the user does not reach, and changes nothing the user may not change.

Two books — an RM's account in the Energy team and another RM's in Transport — each with every
kind of object an account has (contacts, projects with covenants and figures, ESG events,
interactions with follow-ups and a confidential one, strategic reviews, a service request,
alerts with a mitigation action, an account plan with its lines and an action, tier overrides,
a handover, notifications, a client group with a member and a connected party, an entry on the
watch list, a repaid facility that may be removed), and everyone around them: the owner, the team lead, a member of
the account team in each role, a group granted "view" and one granted "change"
(django-guardian); then an executive, a risk officer, compliance, an administrator and a user
with no role.

The URL patterns are walked from the resolver, never listed by hand: each must be known to
``PAGES`` (the objects its ids name and who may do what there) or to ``PLAIN`` (pages without
an object), so a new page fails the first test until the crawl knows it.

The book is built once for the module, in a transaction rolled back after its last test (the
``django_db_blocker`` pattern); every request runs in a savepoint under a recorder of the rows
it writes (each INSERT, UPDATE and DELETE through the connection), so "nothing changed" is
checked request by request, and once more over the round of refused writes by comparing every
table. A last test posts each write as who may make it (rolled back), so the data the crawl
posts is known to be plausible and the recorder known to see writes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts import services as account_services
from accounts.choices import MembershipRole, OverrideStatus, Tier
from accounts.models import (
    AccountHandover,
    AccountPlan,
    Facility,
    HandoverStatus,
    PlanAction,
    PlanServiceItem,
    PlanWalletLine,
    TierOverride,
)
from accounts.rights import ALL_RIGHTS, GRANT_CHANGE, GRANT_VIEW, Right, rights_of
from accounts.tiering.services import tier_override_approve, tier_override_propose
from dashboard.exports import TABLES
from esg.models import EsapItem, EsReview
from groups.models import ClientGroup, ConnectedParty, GroupMembership
from groups.services import connected_party_save, group_create, membership_save
from interactions.models import Channel, FollowUp
from interactions.services.interactions import FollowUpData, interaction_create
from interactions.services.reviews import account_sponsor_set, review_create
from interactions.services.service import service_request_open
from kam.models import Team, User, UserSession
from kam.roles import Role
from kam.services import notification_send
from privacy.services import request_create as privacy_request_create
from risk.choices import Severity
from risk.models import CovenantMetric, MitigationAction, WatchListEntry
from risk.services import (
    alert_raise_manual,
    alert_start_mitigation,
    covenant_save,
    covenant_test_record,
    covenant_waiver_record,
    esg_event_record,
)
from risk.services.watchlist import watch_list_put
from tests.factories import (
    AccountFactory,
    ContactFactory,
    MembershipFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
)
from tests.risk.support import make_rule

pytestmark = pytest.mark.django_db

ED, OW, CT, PI, PJ, RL, SV, TI, RK = (
    Right.EDIT_ACCOUNT,
    Right.CHANGE_OWNER,
    Right.EDIT_CONTACTS,
    Right.REVEAL_PII,
    Right.EDIT_PROJECTS,
    Right.RELATIONSHIP,
    Right.SERVICE,
    Right.TIERING,
    Right.RISK,
)
BOOKS = ("a", "b")
READERS = frozenset({Role.EXECUTIVE, Role.RISK, Role.COMPLIANCE, Role.ADMIN})
OFFICERS = frozenset({Role.RISK, Role.ADMIN})
TEAM = ("owner", "lead", *MembershipRole.values)  # on the account team (sees confidential rows)


# ---------------------------------------------------------------- who and what


@dataclass(frozen=True)
class Who:
    """One user of the crawl and how they reach the books."""

    key: str
    user: User
    roles: frozenset[str]
    book: str | None = None  # the book they reach as owner, lead, account team or by a grant
    reach: str | None = None  # how (the keys of accounts.rights.RIGHTS_BY_REACH)

    @property
    def name(self) -> str:
        return self.key.split(".")[-1]


@dataclass
class Book:
    key: str
    team: Team
    users: dict[str, User]
    ids: dict[str, int]  # kind of object → its pk
    markers: tuple[str, ...]  # what shows the book on a page
    secret: tuple[str, ...]  # what shows its confidential interaction (subject, follow-up)
    notes: tuple[str, ...]  # what its confidential notes say


@dataclass
class World:
    books: dict[str, Book]
    people: dict[str, Who]
    ids: dict[str, int]  # global objects (a risk rule, the covenant metrics, a channel)
    mine: dict[str, dict[str, int]]  # kind of a user's own object → who → pk
    forms: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def person(self, book: str, name: str) -> Who:
        return self.people[f"{book}.{name}" if name in self.books[book].users else name]


def sees(who: Who, book: str) -> bool:
    return who.book == book or bool(who.roles & READERS)


def rights(who: Who, book: str) -> frozenset[Right]:
    if Role.ADMIN in who.roles:
        return ALL_RIGHTS
    if who.book == book and who.reach is not None:
        return rights_of({who.reach})
    return frozenset()


def on_team(who: Who, book: str) -> bool:
    return who.book == book and who.name in TEAM


def reads_confidential(who: Who, book: str) -> bool:
    """The account team, and compliance (who read every confidential interaction, each read
    of its notes logged)."""
    return on_team(who, book) or (sees(who, book) and Role.COMPLIANCE in who.roles)


def hidden_from(world: World, who: Who, *, change_log: bool = False) -> tuple[str, ...]:
    """What no page may show ``who``: the books they do not reach, and the confidential
    interaction of a book they read without being on its account team. The change log
    (compliance's and the administrators') names the confidential interaction it records, but
    never what its notes say."""
    hidden: list[str] = []
    for key, book in world.books.items():
        if not sees(who, key):
            hidden += [*book.markers, *book.secret, *book.notes]
        elif not reads_confidential(who, key):
            hidden += book.notes if change_log else [*book.secret, *book.notes]
    return tuple(hidden)


# ---------------------------------------------------------------- what each page asks

Gate = Callable[[Who, str], bool]  # may ``who`` do it on the objects of ``book``
Data = Callable[[World, Book], dict[str, Any]]


def view(who: Who, book: str) -> bool:
    return sees(who, book)


def right(needed: Right) -> Gate:
    return lambda who, book: needed in rights(who, book)


def right_or_officer(needed: Right) -> Gate:
    """The account's right, or a risk officer's triage of every account (risk's own rule)."""
    return lambda who, book: needed in rights(who, book) or bool(who.roles & OFFICERS)


def officer(who: Who, book: str = "") -> bool:
    return bool(who.roles & OFFICERS)


def the(name: str) -> Gate:
    """Only this person of the book (the owner who asked, the lead who decides)."""
    return lambda who, book: who.key == f"{book}.{name}"


def decides_handover(who: Who, book: str) -> bool:
    return OW in rights(who, book) and who.key != f"{book}.owner"


def role_in(*roles: str) -> Gate:
    return lambda who, book: bool(who.roles & set(roles))


def nothing(world: World, book: Book) -> dict[str, Any]:
    return {}


def day(days: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def moment(days: int) -> str:
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def withdraw_handovers(book: Book) -> None:
    AccountHandover.objects.filter(account_id=book.ids["account"]).update(
        status=HandoverStatus.WITHDRAWN
    )


def withdraw_overrides(book: Book) -> None:
    TierOverride.objects.filter(
        account_id=book.ids["account"], status=OverrideStatus.PENDING
    ).update(status=OverrideStatus.WITHDRAWN)


def figures_file(world: World, book: Book) -> dict[str, Any]:
    period = dt.date(timezone.localdate().year - 1, 6, 30)
    text = f"project_id,metric,period_end,value,note\n{book.ids['project']},dscr,{period},1.31,\n"
    return {"file": SimpleUploadedFile("figures.csv", text.encode(), content_type="text/csv")}


@dataclass(frozen=True)
class Post:
    """One write a page takes: who may make it, and plausible data for it."""

    gate: Gate
    data: Data = nothing
    form: bool = False  # start from the fields of the form the prober's GET shows
    label: str = "post"
    args: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    prober: str = "owner"  # who shows, in a rolled-back savepoint, that the data writes
    prepare: Callable[[Book], None] | None = None  # before the probe, in its savepoint
    # What a refusal answers (to this user on this book).
    refused: Callable[[Who, str], frozenset[int]] = lambda who, book: frozenset({403, 404})


@dataclass(frozen=True)
class Page:
    """A page whose URL names objects: ``ids`` maps each integer kwarg to a kind of object
    (``Book.ids``; ``rule`` is global, ``notification`` and ``session`` a user's own)."""

    ids: Mapping[str, str]
    get: Gate | None  # who opens it (others who see the account get 403); None: POST only
    posts: tuple[Post, ...] = ()
    args: Mapping[str, str] = field(default_factory=dict)
    # What a user out of reach gets: 404, or 403 where a role is asked before any object is
    # read (the same answer for every id, so it tells nothing of the object).
    outside: Callable[[Who], frozenset[int]] = lambda who: frozenset({404})
    export: bool = False  # a file: asked with a reason, so that the file itself is read


USER_KINDS = frozenset({"notification", "session"})
GLOBAL_KINDS = frozenset({"rule"})

ACCOUNT = {"pk": "account"}
PURPOSE = {"purpose": "Relationship management"}  # a contact's purpose of processing (PIPL)
RISK_GATE = right_or_officer(RK)
ESG_GATE = right_or_officer(PJ)
HANDLES = role_in(Role.COMPLIANCE, Role.ADMIN)  # data-subject requests (privacy)
GROUP = {"pk": "group"}
WATCH_ENTRY = {"pk": "watch_entry"}


def watches(who: Who, book: str) -> bool:
    """Who changes the watch list: a risk officer (or an administrator), or the lead of the
    account's team."""
    return officer(who) or who.key == f"{book}.lead"


def close_watch_entries(book: Book) -> None:
    """Take the book's account off the watch list, so that it can be put on again."""
    WatchListEntry.objects.filter(account_id=book.ids["account"], exited_on__isnull=True).update(
        exited_on=timezone.localdate(),
        exited_by=book.users["lead"],
        exit_reason="Taken off for the crawl.",
    )


def SECOND_HANDLER(who: Who, book: str) -> bool:  # noqa: N802 - a gate, named like the others
    """A handler who did not record the book's requests (the compliance user did)."""
    return HANDLES(who, book) and who.name != "compliance"


def proposer_told(who: Who, book: str) -> frozenset[int]:
    """The proposer of an override (the owner here) who tries to decide it is shown why not on
    the override's page (the service's ValidationError); anyone else is refused."""
    return frozenset({200} if who.key == f"{book}.owner" else {403, 404})


def handler_or_403(who: Who) -> frozenset[int]:
    return frozenset({404} if HANDLES(who, "") else {403})


def contact_request_gate(who: Who, book: str) -> bool:
    return CT in rights(who, book) or HANDLES(who, book)


PAGES: dict[str, Page] = {
    # ------------------------------------------------------------ accounts
    "accounts:detail": Page(ACCOUNT, view),
    "accounts:edit": Page(
        ACCOUNT, right(ED), (Post(right(ED), lambda w, b: {"notes": "Crawled."}, form=True),)
    ),
    "accounts:contact_create": Page(
        ACCOUNT,
        right(CT),
        (
            Post(
                right(CT),
                lambda w, b: {"name": "New contact", "title": "CFO", **PURPOSE},
                form=True,
            ),
        ),
    ),
    "accounts:contact_edit": Page(
        {"pk": "account", "contact_pk": "contact"},
        right(CT),
        (Post(right(CT), lambda w, b: {"title": "CEO", **PURPOSE}, form=True),),
    ),
    "accounts:contact_reveal": Page(
        {"pk": "account", "contact_pk": "contact"},
        None,
        (
            Post(right(PI), label="htmx", headers={"HX-Request": "true"}),  # the page's way
            Post(right(PI), label="page"),
            Post(right(PI), label="email", args={"field": "email"}),
        ),
        args={"field": "phone"},
    ),
    "accounts:handover_request": Page(
        ACCOUNT,
        the("owner"),
        (
            Post(
                the("owner"),
                lambda w, b: {"to_owner": b.users["co_rm"].pk, "reason": "Moving north."},
                prepare=withdraw_handovers,
            ),
        ),
    ),
    "accounts:handover_decide": Page(
        {"pk": "account", "handover_pk": "handover"},
        None,
        (
            Post(
                decides_handover, lambda w, b: {"action": "approve"}, label="approve", prober="lead"
            ),
            Post(
                decides_handover,
                lambda w, b: {"action": "reject", "note": "No."},
                label="reject",
                prober="lead",
            ),
            Post(the("owner"), lambda w, b: {"action": "withdraw"}, label="withdraw"),
        ),
    ),
    "accounts:project_create": Page(
        ACCOUNT,
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {
                    "name": "New project",
                    "sector": "renewables",
                    "region": "cn_northwest",
                    "total_cost": "1000000000",
                    "lead_role": "sponsor",
                },
                form=True,
            ),
        ),
    ),
    "accounts:project_edit": Page(
        {"pk": "account", "project_pk": "project"},
        right(PJ),
        (Post(right(PJ), lambda w, b: {"total_cost": "2500000000"}, form=True),),
    ),
    "accounts:project_detail": Page({"pk": "account", "project_pk": "project"}, view),
    "accounts:party_create": Page(
        {"pk": "account", "project_pk": "project"},
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {"account": b.ids["account"], "role": "insurer"},
                form=True,
            ),
        ),
    ),
    "accounts:party_edit": Page(
        {"pk": "account", "project_pk": "project", "party_pk": "party"},
        right(PJ),
        (Post(right(PJ), lambda w, b: {"note": "Buys the power."}, form=True),),
    ),
    "accounts:party_delete": Page(
        {"pk": "account", "project_pk": "project", "party_pk": "party"},
        None,
        (Post(right(PJ)),),
    ),
    "accounts:facility_create": Page(
        {"pk": "account", "project_pk": "project"},
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {
                    "name": "Tranche B",
                    "commitment": "100000000",
                    "drawn": "10000000",
                    "undrawn": "90000000",
                },
                form=True,
            ),
        ),
    ),
    "accounts:facility_edit": Page(
        {"pk": "account", "project_pk": "project", "facility_pk": "facility"},
        right(PJ),
        (Post(right(PJ), lambda w, b: {"margin_pct": "1.5"}, form=True),),
    ),
    # A repaid facility (drawn and undrawn at zero): one still outstanding is refused.
    "accounts:facility_delete": Page(
        {"pk": "account", "project_pk": "project", "facility_pk": "facility_repaid"},
        None,
        (Post(right(PJ)),),
    ),
    "accounts:tiering": Page(ACCOUNT, view),
    "accounts:override_propose": Page(
        ACCOUNT,
        right(TI),
        (
            Post(
                right(TI),
                lambda w, b: {"requested_tier": Tier.CORE, "reason": "The crawl asks for Core."},
                form=True,
                prepare=withdraw_overrides,
            ),
        ),
    ),
    "accounts:override_detail": Page({"override_pk": "override"}, view),
    "accounts:override_approve": Page(
        {"override_pk": "override"},
        None,
        (
            Post(
                the("lead"),
                lambda w, b: {"approve-note": "Agreed."},
                prober="lead",
                refused=proposer_told,
            ),
        ),
    ),
    "accounts:override_reject": Page(
        {"override_pk": "override"},
        None,
        (
            Post(
                the("lead"),
                lambda w, b: {"reject-note": "Not convinced."},
                prober="lead",
                refused=proposer_told,
            ),
        ),
    ),
    "accounts:override_withdraw": Page({"override_pk": "override"}, None, (Post(the("owner")),)),
    "accounts:override_revoke": Page(
        {"override_pk": "override_approved"},
        None,
        (Post(right(TI), lambda w, b: {"revoke-note": "Back to the model."}),),
    ),
    "accounts:plan": Page(ACCOUNT, view),
    "accounts:plan_edit": Page(
        ACCOUNT,
        right(TI),
        (Post(right(TI), lambda w, b: {"strategy": "Crawled."}, form=True),),
    ),
    "accounts:plan_action_create": Page(
        ACCOUNT,
        right(TI),
        (
            Post(
                right(TI),
                lambda w, b: {
                    "title": "Call the CFO",
                    "owner": b.users["owner"].pk,
                    "due_date": day(7),
                },
                form=True,
            ),
        ),
    ),
    "accounts:plan_action_edit": Page(
        {"pk": "account", "action_pk": "plan_action"},
        right(TI),
        (Post(right(TI), lambda w, b: {"notes": "Crawled."}, form=True),),
    ),
    # The action's owner (the account's owner here) may also mark it: no one else.
    "accounts:plan_action_status": Page(
        {"pk": "account", "action_pk": "plan_action"},
        None,
        (Post(right(TI), lambda w, b: {"status": "done"}),),
    ),
    # ------------------------------------------------------------ interactions
    "interactions:timeline": Page(ACCOUNT, view),
    "interactions:timeline_export": Page(ACCOUNT, view, args={"fmt": "csv"}, export=True),
    "interactions:create": Page(
        ACCOUNT,
        right(RL),
        (
            Post(
                right(RL),
                lambda w, b: {"subject": "Crawl call", "occurred_at": moment(-1)},
                form=True,
            ),
        ),
    ),
    "interactions:detail": Page({"pk": "account", "interaction_pk": "interaction"}, view),
    "interactions:edit": Page(
        {"pk": "account", "interaction_pk": "interaction"},
        right(RL),
        (Post(right(RL), lambda w, b: {"outcome": "Crawled."}, form=True),),
    ),
    "interactions:follow_up_toggle": Page(
        {"pk": "account", "follow_up_pk": "follow_up"},
        None,
        (Post(right(RL), lambda w, b: {"done": "1"}),),
    ),
    "interactions:notification_read": Page({"notification_pk": "notification"}, None),
    "interactions:review_list": Page(ACCOUNT, view),
    "interactions:review_create": Page(
        ACCOUNT,
        right(RL),
        (
            Post(
                right(RL),
                lambda w, b: {
                    "scheduled_at": moment(10),
                    "status": "scheduled",
                    "location": "Head office",
                },
                form=True,
            ),
        ),
    ),
    "interactions:review_detail": Page({"pk": "account", "review_pk": "review"}, view),
    "interactions:review_edit": Page(
        {"pk": "account", "review_pk": "review"},
        right(RL),
        (Post(right(RL), lambda w, b: {"agenda": "Crawled."}, form=True),),
    ),
    "interactions:sponsor_set": Page(
        ACCOUNT,
        None,
        (Post(right(RL), lambda w, b: {"executive": w.people["executive"].user.pk}),),
    ),
    # ------------------------------------------------------------ service
    "service:detail": Page({"pk": "request"}, view),
    "service:action": Page(
        {"pk": "request"},
        None,
        (
            Post(
                right(SV), lambda w, b: {"respond-note": "Called back."}, args={"action": "respond"}
            ),
            Post(
                right(SV),
                lambda w, b: {"assign-assignee": b.users["co_rm"].pk},
                label="assign",
                args={"action": "assign"},
            ),
            Post(
                right(SV),
                lambda w, b: {"rate-score": "5", "rate-comment": "Good."},
                label="rate",
                args={"action": "rate"},
                prober="",  # a new request cannot be rated: the refusal alone is crawled
            ),
        ),
    ),
    # ------------------------------------------------------------ risk
    "risk:alert_detail": Page({"pk": "alert"}, view),
    "risk:alert_acknowledge": Page({"pk": "alert"}, None, (Post(RISK_GATE),)),
    "risk:alert_comment": Page(
        {"pk": "alert"}, None, (Post(RISK_GATE, lambda w, b: {"note": "Looked into it."}),)
    ),
    "risk:alert_mitigate": Page(
        {"pk": "alert"},
        RISK_GATE,
        (Post(RISK_GATE, lambda w, b: {"plan": "Restructure the loan."}, form=True),),
    ),
    "risk:alert_action_add": Page(
        {"pk": "alert_mitigating"},
        None,
        (
            Post(
                RISK_GATE,
                lambda w, b: {
                    "description": "Call the sponsor",
                    "owner": b.users["owner"].pk,
                    "due_date": day(7),
                },
            ),
        ),
    ),
    "risk:alert_action_done": Page(
        {"pk": "alert_mitigating", "action_pk": "mitigation_action"}, None, (Post(RISK_GATE),)
    ),
    "risk:alert_resolve": Page(
        {"pk": "alert"},
        RISK_GATE,
        (Post(RISK_GATE, lambda w, b: {"note": "Settled.", "quiet_days": "0"}),),
    ),
    "risk:alert_dismiss": Page(
        {"pk": "alert"},
        officer,
        (Post(officer, lambda w, b: {"note": "False alarm.", "quiet_days": "30"}, prober="risk"),),
    ),
    "risk:alert_raise": Page(
        ACCOUNT,
        RISK_GATE,
        (
            Post(
                RISK_GATE,
                lambda w, b: {"title": "New worry", "description": "Crawled.", "severity": "2"},
            ),
        ),
    ),
    "risk:account_covenants": Page(ACCOUNT, view),
    # ------------------------------------------------------------ E&S (a project's lead account)
    "esg:project": Page({"pk": "project"}, view),
    "esg:esap_edit": Page(
        {"pk": "project"},
        right(PJ),
        (Post(right(PJ), lambda w, b: {"note": "Crawled."}, form=True),),
    ),
    "esg:item_create": Page(
        {"pk": "project"},
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {
                    "action": "Crawl action",
                    "standard": "ifc_ps1",
                    "owner_contact": "SPV HSE manager",
                    "due_date": day(30),
                    "status": "open",
                },
                form=True,
            ),
        ),
    ),
    "esg:item_edit": Page(
        {"pk": "project", "item_pk": "esap_item"},
        right(PJ),
        (Post(right(PJ), lambda w, b: {"status": "in_progress"}, form=True),),
    ),
    "esg:review_create": Page(
        {"pk": "project"},
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {
                    "reviewer_name": "Crawl consultant",
                    "review_date": day(-1),
                    "outcome": "compliant",
                },
                form=True,
            ),
        ),
    ),
    "esg:review_edit": Page(
        {"pk": "project", "review_pk": "es_review"},
        right(PJ),
        (Post(right(PJ), lambda w, b: {"findings": "Crawled."}, form=True),),
    ),
    "risk:covenant_create": Page(
        ACCOUNT,
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {
                    "project": b.ids["project"],
                    "metric": w.ids["llcr"],
                    "threshold": "1.30",
                },
                form=True,
            ),
        ),
    ),
    "risk:covenant_test_create": Page(
        ACCOUNT,
        right(PJ),
        (
            Post(
                right(PJ),
                lambda w, b: {
                    "project": b.ids["project"],
                    "metric": w.ids["dscr"],
                    "period_end": f"{timezone.localdate().year - 1}-03-31",
                    "value": "1.25",
                },
                form=True,
            ),
        ),
    ),
    "risk:covenant_waiver_create": Page(
        ACCOUNT,
        ESG_GATE,
        (
            Post(
                ESG_GATE,
                lambda w, b: {
                    "covenant": b.ids["covenant"],
                    "kind": "waiver",
                    "approved_by": w.ids["approver"],
                    "approved_on": day(-1),
                    "valid_until": day(-1),
                    "reason": "Crawled.",
                },
                form=True,
            ),
        ),
    ),
    # Only the approver a pending cure, waiver or amendment names decides on it.
    "risk:covenant_waiver_decide": Page(
        {"pk": "account", "waiver_pk": "waiver"},
        role_in(Role.EXECUTIVE),
        (Post(role_in(Role.EXECUTIVE), lambda w, b: {"decision": "approve"}, prober="executive"),),
    ),
    "risk:covenant_import": Page(ACCOUNT, right(PJ), (Post(right(PJ), figures_file),)),
    "risk:esg_event_create": Page(
        ACCOUNT,
        ESG_GATE,
        (
            Post(
                ESG_GATE,
                lambda w, b: {
                    "occurred_on": day(-1),
                    "category": "social",
                    "severity": "1",
                    "source": "media",
                    "title": "Protest",
                },
                form=True,
            ),
        ),
    ),
    "risk:esg_event_close": Page(
        {"pk": "account", "event_pk": "esg_event"},
        ESG_GATE,
        (Post(ESG_GATE, lambda w, b: {"closed_on": day(), "note": "Settled."}),),
    ),
    "risk:rule_edit": Page(
        {"pk": "rule"},
        officer,
        (Post(officer, lambda w, b: {"description": "Crawled."}, form=True, prober="risk"),),
    ),
    # ------------------------------------------------------------ the watch list
    # Read with the account; changed by a risk officer or the lead of the account's team.
    "risk:watch_entry": Page(WATCH_ENTRY, view),
    "risk:watch_put": Page(
        ACCOUNT,
        watches,
        (
            Post(
                watches,
                lambda w, b: {
                    "reason_kind": "covenant",
                    "reason": "DSCR lock-up for two periods.",
                    "next_review_on": day(30),
                },
                form=True,
                prober="lead",
                prepare=close_watch_entries,
            ),
        ),
    ),
    "risk:watch_review": Page(
        WATCH_ENTRY,
        None,
        (
            Post(
                watches,
                lambda w, b: {"next_review_on": day(60), "note": "Crawled."},
                prober="lead",
            ),
        ),
    ),
    "risk:watch_remove": Page(
        WATCH_ENTRY,
        None,
        (Post(watches, lambda w, b: {"exit_reason": "The lock-up is lifted."}, prober="lead"),),
    ),
    # ------------------------------------------------------------ client groups
    # A group is read by whoever reaches one of its member accounts; administrators and risk
    # officers keep groups (404 before 403: the group is looked up first).
    "groups:detail": Page(GROUP, view),
    "groups:edit": Page(
        GROUP,
        officer,
        (Post(officer, lambda w, b: {"note": "Crawled."}, form=True, prober="risk"),),
    ),
    "groups:membership_create": Page(
        GROUP,
        officer,
        (
            Post(
                officer,
                lambda w, b: {
                    "member": str(b.ids["spare"]),
                    "parent": b.ids["subsidiary"],
                    "ownership_pct": "30",
                },
                form=True,
                prober="risk",
            ),
        ),
    ),
    "groups:membership_edit": Page(
        {"pk": "group", "membership_pk": "membership"},
        officer,
        (Post(officer, lambda w, b: {"ownership_pct": "55"}, form=True, prober="risk"),),
    ),
    "groups:membership_remove": Page(
        {"pk": "group", "membership_pk": "membership"}, None, (Post(officer, prober="risk"),)
    ),
    "groups:connection_create": Page(
        GROUP,
        officer,
        (
            Post(
                officer,
                lambda w, b: {
                    "member": b.ids["subsidiary"],
                    "connected": str(b.ids["spare"]),
                    "reason": "common_control",
                },
                form=True,
                prober="risk",
            ),
        ),
    ),
    "groups:connection_remove": Page(
        {"pk": "group", "connection_pk": "connection"}, None, (Post(officer, prober="risk"),)
    ),
    # ------------------------------------------------------------ relationship maps
    "relationships:account": Page(ACCOUNT, view),
    "relationships:group": Page(GROUP, view),
    # ------------------------------------------------------------ privacy (PIPL)
    # Data-subject requests are compliance's and the administrators' (who read every
    # account); everyone else is refused before the request is read: 403 for any id.
    "privacy:request_detail": Page(
        {"pk": "privacy_access"},
        HANDLES,
        (Post(HANDLES, lambda w, b: {"action": "start"}, prober="compliance"),),
        outside=handler_or_403,
    ),
    "privacy:request_correct": Page(
        {"pk": "privacy_correction"},
        HANDLES,
        (
            Post(
                HANDLES,
                lambda w, b: {"title": "Chief Financial Officer", **PURPOSE},
                form=True,
                prober="compliance",
            ),
        ),
        outside=handler_or_403,
    ),
    # The access copy is exported by a handler other than the one who recorded the request
    # (four eyes): compliance recorded both requests of each book.
    "privacy:request_export": Page(
        {"pk": "privacy_access"},
        SECOND_HANDLER,
        args={"fmt": "csv"},
        outside=handler_or_403,
        export=True,
    ),
    "privacy:request_reveal": Page(
        {"pk": "privacy_access"},
        None,
        (Post(HANDLES, nothing, prober="compliance"),),
        args={"field": "reply_to"},
        outside=handler_or_403,
    ),
    # Recording a contact's request: who edits the account's contacts, or a handler.
    "privacy:contact_request": Page(
        {"pk": "account", "contact_pk": "contact"},
        contact_request_gate,
        (
            Post(
                contact_request_gate,
                lambda w, b: {"kind": "access", "received_on": day(), "details": "Crawled."},
                form=True,
            ),
        ),
    ),
    # ------------------------------------------------------------ the user's own sessions
    "session_end": Page({"pk": "session"}, None),
}


Query = Callable[[World, Book], dict[str, Any]]


def no_query(world: World, book: Book) -> dict[str, Any]:
    return {}


def by(name: str, kind: str) -> Query:
    return lambda world, book: {name: str(book.ids[kind])}


def search(index: int) -> Query:
    """A search for a marker of the book less its last letter: the search box shows what was
    typed, and only a row found would show the whole marker."""
    return lambda world, book: {"q": book.markers[index][:-1]}


def owned_by(world: World, book: Book) -> dict[str, Any]:
    return {"owner": str(book.users["owner"].pk)}


def of_team(world: World, book: Book) -> dict[str, Any]:
    return {"team": str(book.team.pk)}


def report_kind(kind: str) -> Query:
    return lambda world, book: {"kind": kind}


def every_state(world: World, book: Book) -> dict[str, Any]:
    return {"state": "all"}


def every_alert(world: World, book: Book) -> dict[str, Any]:
    return {"q": book.markers[0][:-1], "state": ["open", "acknowledged", "in_mitigation"]}


ACCOUNT_QUERIES: tuple[Query, ...] = (no_query, search(0), search(1), owned_by, of_team)
SERVICE_QUERIES: tuple[Query, ...] = (no_query, every_state, by("account", "account"))
ALERT_QUERIES: tuple[Query, ...] = (no_query, every_alert, by("account", "account"), of_team)
CSV, XLSX = {"fmt": "csv"}, {"fmt": "xlsx"}


@dataclass(frozen=True)
class Plain:
    """A page without an object in its URL: a list, search, export, dashboard or role's page.
    ``may``: who opens it (others get 403; None: every signed-in user)."""

    may: Gate | None = None
    queries: tuple[Query, ...] = (no_query,)
    args: tuple[Mapping[str, str], ...] = ({},)
    posts: tuple[Post, ...] = ()
    get: bool = True
    skip: str = ""
    export: bool = False
    change_log: bool = False  # the audit trail: names records, never confidential notes
    sample: int | None = None  # the first ``args`` for everyone, the rest for EVERY_TABLE
    per_book: bool = False  # its posts name an account (in their data): posted for each book


# Who reads the lists: every kind of user of book a, the owner and lead of book b (the rest of
# book b reach it as their counterparts in book a reach theirs), and every other user.
LIST_READERS = frozenset(
    {f"a.{name}" for name in (*TEAM, "group_view", "group_change")}
    | {"b.owner", "b.lead", "executive", "risk", "compliance", "admin", "nobody"}
)

# Who opens every variant of a sampled page (``Plain.sample``): an owner, a lead, a specialist,
# a group grant, a reader of every account and the user with no role.
EVERY_TABLE = frozenset({"a.owner", "b.lead", "a.analyst", "b.group_view", "executive", "nobody"})


CREATES = role_in(Role.RM, Role.TEAM_LEAD, Role.ADMIN)
AUDIT = role_in(Role.COMPLIANCE, Role.ADMIN)
REPORT = role_in(Role.TEAM_LEAD, Role.EXECUTIVE, Role.RISK, Role.ADMIN)
COVERAGE = role_in(Role.TEAM_LEAD, *READERS)


def new_account(world: World, book: Book) -> dict[str, Any]:
    return {
        "legal_name_en": "Crawl New Holdings",
        "owner": book.users["owner"].pk,
        "industry": "power",
        "region": "cn_east",
        "uscc": "",
    }


def new_request(world: World, book: Book) -> dict[str, Any]:
    return {
        "account": book.ids["account"],
        "channel": world.ids["channel"],
        "priority": "normal",
        "subject": "Crawl request",
    }


def new_privacy_request(world: World, book: Book) -> dict[str, Any]:
    return {"kind": "deletion", "received_on": day(), "person_name": "Crawl Person"}


def new_group(world: World, book: Book) -> dict[str, Any]:
    """A group topped by the book's account that is in none yet."""
    return {"name_en": "Crawl Group", "name_zh": "", "top": str(book.ids["spare"])}


def new_rule(world: World, book: Book) -> dict[str, Any]:
    return {"name": "Crawl rule", "rule_type": "esg_event", "description": "Crawled."}


PLAIN: dict[str, Plain] = {
    "home": Plain(),
    "accounts:list": Plain(queries=ACCOUNT_QUERIES),
    # The exports filter as their lists do (the same function): a search and the plain file.
    "accounts:export": Plain(queries=(no_query, search(0)), args=(CSV, XLSX), export=True),
    "accounts:create": Plain(CREATES, posts=(Post(CREATES, new_account, form=True),)),
    "accounts:override_queue": Plain(),
    # Sliced by the other book's team: who may not slice gets their own scope (and a note).
    "dashboard:executive": Plain(queries=(of_team,)),
    "dashboard:supervision": Plain(queries=(of_team,)),
    # The one table that names accounts for everyone (and the slice by team); every table,
    # aggregates of the same scope, for a few users of each kind of reach (EVERY_TABLE).
    "dashboard:export": Plain(
        queries=(of_team,),
        args=(
            {"table": "top_risk", **CSV},
            {"table": "tiers", **XLSX},
            *({"table": table, **CSV} for table in TABLES if table != "top_risk"),
        ),
        export=True,
        sample=2,
    ),
    "interactions:review_coverage": Plain(COVERAGE, queries=(of_team,)),
    "service:list": Plain(queries=SERVICE_QUERIES),
    "service:export": Plain(queries=SERVICE_QUERIES[1:], args=(CSV, XLSX), export=True),
    # The account is chosen in the form, among those the user may serve: any other is an
    # invalid choice, so the page comes back with the error and nothing is saved.
    "service:create": Plain(
        posts=(Post(right(SV), new_request, refused=lambda who, book: frozenset({200})),),
        per_book=True,
    ),
    "service:report": Plain(REPORT),
    "service:report_export": Plain(
        REPORT,
        queries=tuple(report_kind(kind) for kind in ("requests", "tier", "team", "rm")),
        export=True,
    ),
    "service:report_export_xlsx": Plain(REPORT, export=True),
    "risk:alert_list": Plain(queries=ALERT_QUERIES),
    "esg:items_due": Plain(),
    "risk:alert_export": Plain(queries=ALERT_QUERIES[:2], args=(CSV, XLSX), export=True),
    "risk:scan_list": Plain(officer),
    "risk:scan_run": Plain(get=False, skip="queues a scan of every account: risk's own tests"),
    "risk:rule_list": Plain(officer),
    "risk:watch_list": Plain(queries=(no_query, search(0), every_state)),
    "groups:list": Plain(queries=(no_query, search(0), search(1))),
    "groups:create": Plain(officer, posts=(Post(officer, new_group, form=True, prober="risk"),)),
    "risk:rule_create": Plain(officer, posts=(Post(officer, new_rule, form=True, prober="risk"),)),
    "audit_trail": Plain(AUDIT, queries=(no_query, by("account", "account")), change_log=True),
    "audit_trail_export": Plain(AUDIT, args=(CSV,), export=True, change_log=True),
    "audit_verification": Plain(AUDIT, posts=(Post(AUDIT, prober="compliance"),)),
    "privacy:request_list": Plain(HANDLES),
    "privacy:request_create": Plain(
        HANDLES, posts=(Post(HANDLES, new_privacy_request, form=True, prober="compliance"),)
    ),
    "session_list": Plain(),
    "healthz": Plain(),
    "mfa:overview": Plain(),
    "mfa:verify": Plain(get=False, skip="the user's own sign-in code step"),
    "mfa:setup": Plain(get=False, skip="enrols the user's own authenticator"),
    "mfa:recovery_codes": Plain(get=False, skip="the user's own recovery codes"),
    "mfa:remove": Plain(get=False, skip="removes the user's own authenticator"),
    "session_end_others": Plain(get=False, skip="ends the user's own other sessions only"),
    "login": Plain(skip="signs in"),
    "logout": Plain(skip="signs out"),
    "set_language": Plain(get=False, skip="sets the user's own language"),
}


# ---------------------------------------------------------------- the URL patterns


def url_patterns() -> dict[str, dict[str, Any]]:
    """Every named pattern of the site by its namespaced name, with the converters of its
    kwargs (an include's own included); Django's admin left out."""
    found: dict[str, dict[str, Any]] = {}

    def converters(pattern: URLPattern | URLResolver) -> dict[str, Any]:
        route = pattern.pattern
        assert not isinstance(route, RegexPattern) or not route.regex.groupindex, (
            f"A regular expression with named groups ({route}): the crawl reads converters."
        )
        return dict(getattr(route, "converters", {}))

    def walk(patterns: list[Any], namespace: str, inherited: dict[str, Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, inherited | converters(pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[namespace + pattern.name] = inherited | converters(pattern)
            else:
                raise AssertionError(f"An unnamed URL pattern the crawl cannot name: {pattern}")

    walk(get_resolver().url_patterns, "", {})
    return found


def int_kwargs(kwargs: dict[str, Any]) -> set[str]:
    return {name for name, converter in kwargs.items() if isinstance(converter, IntConverter)}


# ---------------------------------------------------------------- the book


def _people(world_people: dict[str, Who], key: str, users: dict[str, User]) -> None:
    reach = {"owner": "owner", "lead": "lead", "group_change": GRANT_CHANGE}
    reach |= {"group_view": GRANT_VIEW} | {role: role for role in MembershipRole.values}
    for name, user in users.items():
        world_people[f"{key}.{name}"] = Who(
            key=f"{key}.{name}",
            user=user,
            roles=frozenset(user.groups.values_list("name", flat=True)),
            book=key,
            reach=reach[name],
        )


def build_book(key: str, word: str, zh: str, executive: User, compliance: User) -> Book:
    """One RM's account with one object of every kind, and everyone who reaches it."""
    today, now = timezone.localdate(), timezone.now()
    team = TeamFactory.create(name={"a": "Energy", "b": "Transport"}[key])
    lead = UserFactory.create(username=f"{key}.lead", team=team, roles=[Role.TEAM_LEAD])
    team.lead = lead
    team.save()
    owner = UserFactory.create(username=f"{key}.owner", team=team, roles=[Role.RM])
    account = AccountFactory.create(
        owner=owner, legal_name_en=f"{word} Holdings", legal_name_zh=f"{zh}控股有限公司"
    )
    users = {"owner": owner, "lead": lead}
    for role in MembershipRole.values:
        is_rm = role == MembershipRole.CO_RM
        member = UserFactory.create(
            username=f"{key}.{role}", team=team if is_rm else None, roles=[Role.RM] if is_rm else []
        )
        MembershipFactory.create(account=account, user=member, role=role)
        users[role] = member
    for name, codenames in (
        ("group_view", ("view_account",)),
        ("group_change", ("view_account", "change_account")),
    ):
        group = Group.objects.create(name=f"{team.name} desk ({name})")
        for codename in codenames:
            assign_perm(f"accounts.{codename}", group, account)
        desk = UserFactory.create(username=f"{key}.{name}", roles=[Role.RM])
        desk.groups.add(group)
        users[name] = desk

    phone = {"a": "13911110001", "b": "13922220002"}[key]
    contact = ContactFactory.create(
        account=account,
        name=f"{zh}联系人",
        phone=phone,
        email=f"cfo@{word.split()[0].lower()}.cn",
        is_primary=True,
    )
    project = ProjectFactory.create(account=account, name=f"{word} Wind Farm")
    dscr = CovenantMetric.objects.get(code="dscr")
    dscr_covenant = covenant_save(project=project, metric=dscr, threshold=Decimal("1.20"))
    dscr_figure = covenant_test_record(
        project=project,
        metric=dscr,
        period_end=dt.date(today.year - 2, 12, 31),
        value=Decimal("1.35"),
        user=owner,
    )
    waiver = covenant_waiver_record(
        covenant=dscr_covenant,
        user=owner,
        kind="waiver",
        approved_by=executive,
        approved_on=today,
        test=dscr_figure,
        reason="Crawled waiver.",
    )
    esg = esg_event_record(
        account=account,
        user=owner,
        project=project,
        occurred_on=today - dt.timedelta(days=10),
        category="environmental",
        severity=2,
        source="media",
        title=f"{word} spill",
    )
    esap_item = EsapItem.objects.create(
        project=project,
        action=f"{word} resettlement payments",
        owner_contact=f"{word} HSE manager",
        due_date=today - dt.timedelta(days=5),
    )
    es_review = EsReview.objects.create(
        project=project,
        reviewer_name=f"{word} E&S consultant",
        review_date=today - dt.timedelta(days=30),
        outcome="findings",
        findings=f"{word} grievance log behind.",
    )
    meeting = Channel.objects.get(code="meeting")
    interaction = interaction_create(
        account=account,
        user=owner,
        channel=meeting,
        occurred_at=now - dt.timedelta(days=3),
        subject=f"{word} refinancing talk",
        contacts=[contact],
        follow_ups=[FollowUpData(f"{word} term sheet", owner, today + dt.timedelta(days=2))],
    )
    hush = word.split()[0].replace("leak", "hush")
    quiet = word.split()[0].replace("leak", "quiet")
    secret = interaction_create(
        account=account,
        user=owner,
        channel=meeting,
        occurred_at=now - dt.timedelta(days=2),
        subject=f"{hush} board minutes",
        summary=f"{quiet} restructuring in confidence",
        outcome=f"{quiet} waiver agreed",
        is_confidential=True,
        follow_ups=[FollowUpData(f"{hush} follow-up", owner, today + dt.timedelta(days=3))],
    )
    review = review_create(
        account=account,
        user=owner,
        scheduled_at=now + dt.timedelta(days=5),
        location=f"{word} head office",
        executives=[executive],
        actions=[FollowUpData(f"{word} review action", owner, today + dt.timedelta(days=9))],
    )
    account_sponsor_set(account=account, executive=executive)
    request = service_request_open(
        account=account,
        channel=meeting,
        priority="normal",
        subject=f"{word} statement request",
        opened_by=owner,
    )
    alert = alert_raise_manual(
        account=account,
        user=owner,
        title=f"{word} covenant worry",
        description=f"{word} DSCR close to its floor.",
        severity=Severity.MEDIUM,
    )
    mitigating = alert_raise_manual(
        account=account,
        user=owner,
        title=f"{word} sponsor stress",
        description="The sponsor's parent is downgraded.",
        severity=Severity.HIGH,
    )
    alert_start_mitigation(
        alert=mitigating,
        user=owner,
        plan=f"{word} mitigation plan",
        action=f"{word} call the sponsor",
        action_owner=owner,
        action_due=today + dt.timedelta(days=7),
    )
    plan = AccountPlan.objects.create(
        account=account, objectives=f"{word} lead arranger", status="active"
    )
    PlanWalletLine.objects.create(
        plan=plan, product_line="project_loans", potential=Decimal(100), current=Decimal(25)
    )
    PlanServiceItem.objects.create(plan=plan, product_line="hedging", name=f"{word} hedging desk")
    plan_action = PlanAction.objects.create(
        plan=plan, title=f"{word} CFO call", owner=owner, due_date=today + dt.timedelta(days=7)
    )
    approved = tier_override_propose(
        account=account, user=owner, requested_tier=Tier.KEY, reason=f"{word} mandate won."
    )
    tier_override_approve(override=approved, user=lead, note="Agreed.")
    pending = tier_override_propose(
        account=account, user=owner, requested_tier=Tier.STRATEGIC, reason=f"{word} sole banker."
    )
    handover = account_services.handover_request(
        account=account, user=owner, to_owner=users["co_rm"], reason=f"{word} moves north."
    )
    # A client group topped by the account, with a subsidiary of the same book and a
    # guarantor connected to it; a leasing company of the book in no group yet.
    subsidiary = AccountFactory.create(
        owner=owner, legal_name_en=f"{word} Power Co", legal_name_zh=f"{zh}电力有限公司"
    )
    spare = AccountFactory.create(
        owner=owner, legal_name_en=f"{word} Leasing", legal_name_zh=f"{zh}租赁有限公司"
    )
    client_group = group_create(
        group=ClientGroup(name_en=f"{word} Group", name_zh=f"{zh}集团", parent=account)
    )
    membership = membership_save(
        membership=GroupMembership(
            group=client_group, account=subsidiary, parent=account, ownership_pct=Decimal("60")
        )
    )
    connection = connected_party_save(
        connection=ConnectedParty(account=account, other=spare, reason="guarantee")
    )
    watch_entry = watch_list_put(
        account=account,
        user=lead,
        reason_kind="sponsor",
        reason=f"{word} sponsor downgraded.",
        next_review_on=today + dt.timedelta(days=30),
    )
    term_loan = project.facilities.get()
    repaid = account_services.facility_save(
        facility=Facility(
            project=project,
            borrower=account,
            name=f"{word} bridge loan",
            kind="bridge",
            commitment=Decimal("50000000"),
            drawn=Decimal("0"),
            undrawn=Decimal("0"),
        ),
        by=owner,
    )
    access, correction = (
        privacy_request_create(
            user=compliance, kind=kind, received_on=today, contact=contact, details=f"{word} asks."
        )
        for kind in ("access", "correction")
    )
    ids = {
        "privacy_access": access.pk,
        "privacy_correction": correction.pk,
        "account": account.pk,
        "contact": contact.pk,
        "project": project.pk,
        # The lead account is the borrower (ProjectFactory); as off-taker too, a party that
        # can be removed.
        "party": project.parties.create(account=account, role="offtaker").pk,
        "facility": term_loan.pk,
        "facility_repaid": repaid.pk,
        "subsidiary": subsidiary.pk,
        "spare": spare.pk,
        "group": client_group.pk,
        "membership": membership.pk,
        "connection": connection.pk,
        "watch_entry": watch_entry.pk,
        "covenant": dscr_covenant.pk,
        "waiver": waiver.pk,
        "esap_item": esap_item.pk,
        "es_review": es_review.pk,
        "esg_event": esg.pk,
        "interaction": interaction.pk,
        "follow_up": FollowUp.objects.get(interaction=interaction).pk,
        "secret_interaction": secret.pk,
        "secret_follow_up": FollowUp.objects.get(interaction=secret).pk,
        "review": review.pk,
        "request": request.pk,
        "alert": alert.pk,
        "alert_mitigating": mitigating.pk,
        "mitigation_action": MitigationAction.objects.get(alert=mitigating).pk,
        "plan_action": plan_action.pk,
        "override": pending.pk,
        "override_approved": approved.pk,
        "handover": handover.pk,
    }
    return Book(
        key=key,
        team=team,
        users=users,
        ids=ids,
        markers=(word.split()[0], zh, phone),
        secret=(hush,),
        notes=(quiet,),
    )


# Whose notifications and sessions everyone else tries: an owner of each book, an executive.
SAMPLE_OWNERS = ("a.owner", "b.owner", "executive")


def build_world() -> World:
    people: dict[str, Who] = {}
    for name, roles, extra in (
        ("executive", [Role.EXECUTIVE], {}),
        ("risk", [Role.RISK], {}),
        ("compliance", [Role.COMPLIANCE], {}),
        ("admin", [Role.ADMIN], {"is_staff": True}),
        ("nobody", [], {}),
    ):
        user = UserFactory.create(username=name, roles=roles, **extra)
        people[name] = Who(key=name, user=user, roles=frozenset(roles))
    books: dict[str, Book] = {}
    for key, word, zh in (
        ("a", "Alphaleak Energy", "阿尔法泄露能源"),
        ("b", "Betaleak Transit", "贝塔泄露交通"),
    ):
        books[key] = build_book(key, word, zh, people["executive"].user, people["compliance"].user)
        _people(people, key, books[key].users)
    notifications: dict[str, int] = {}
    for who in people.values():
        notification, _created = notification_send(user=who.user, title=f"Crawl note for {who.key}")
        if who.key in SAMPLE_OWNERS:
            notifications[who.key] = notification.pk
    sessions: dict[str, int] = {}
    for key in SAMPLE_OWNERS:
        client = Client()
        client.force_login(people[key].user)
        client.get(reverse("session_list"))  # the session's row is written on its first request
        sessions[key] = UserSession.objects.get(user=people[key].user).pk
    world = World(
        books=books,
        people=people,
        ids={
            "rule": make_rule("esg_event", name="ESG watch").pk,
            "dscr": CovenantMetric.objects.get(code="dscr").pk,
            "llcr": CovenantMetric.objects.get(code="llcr").pk,
            "channel": Channel.objects.get(code="meeting").pk,
            "approver": people["risk"].user.pk,
        },
        mine={"notification": notifications, "session": sessions},
    )
    read_forms(world)
    return world


# ---------------------------------------------------------------- forms as a browser fills them


class FormFields(HTMLParser):
    """The fields a browser would submit from each POST form of a page, as the page fills
    them (inputs, checked boxes, selected options, text areas)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._fields = []
            if (a.get("method") or "").lower() == "post":
                self.forms.append((a.get("action") or "", self._fields))
            return
        if self._fields is None or "disabled" in a:
            return
        name = a.get("name") or ""
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._fields.append((name, a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._select[2].append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select" and self._select is not None and self._fields is not None:
            name, multiple, options = self._select
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not multiple:
                chosen = [options[0][0]]
            self._fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._fields is not None:
            self._fields.append((self._textarea[0], "".join(self._textarea[1]).lstrip("\n")))
            self._textarea = None


def form_fields(html: str, path: str) -> dict[str, Any]:
    """The fields of the page's form that posts to ``path`` (the largest, if several)."""
    parser = FormFields()
    parser.feed(html)
    forms = [fields for action, fields in parser.forms if action in ("", path)]
    assert forms, f"No form posting to {path} on the page."
    data: dict[str, Any] = {}
    for name, value in max(forms, key=len):
        if name in data:
            data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
        else:
            data[name] = value
    data.pop("csrfmiddlewaretoken", None)
    return data


def page_url(name: str, page: Page, post: Post | None, ids: Mapping[str, int]) -> str:
    kwargs: dict[str, Any] = {**page.args, **(post.args if post else {})}
    kwargs |= {kwarg: ids[kind] for kwarg, kind in page.ids.items()}
    return reverse(name, kwargs=kwargs)


def book_ids(world: World, book: Book) -> dict[str, int]:
    return {**world.ids, **book.ids}


def prober(world: World, book: Book, post: Post) -> Who:
    return world.person(book.key, post.prober)


def read_forms(world: World) -> None:
    """The fields of every form the crawl posts, as the page shows them to who may post it."""
    clients: dict[str, Client] = {}
    for book in world.books.values():
        targets: list[tuple[str, Page | None, Post]] = [
            (name, page, post) for name, page in PAGES.items() for post in page.posts
        ]
        targets += [(name, None, post) for name, plain in PLAIN.items() for post in plain.posts]
        for name, page, post in targets:
            if not post.form:
                continue
            who = prober(world, book, post)
            if who.key not in clients:
                clients[who.key] = Client()
                clients[who.key].force_login(who.user)
            url = (
                reverse(name) if page is None else page_url(name, page, None, book_ids(world, book))
            )
            response = clients[who.key].get(url)
            assert response.status_code == 200, (who.key, url, response.status_code)
            world.forms[(book.key, name, post.label)] = form_fields(response.content.decode(), url)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The two books, built once for the module and rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


# ---------------------------------------------------------------- requests, recorded

_WRITE = re.compile(
    r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+)', re.IGNORECASE
)
# The signed-in session and its row of "last seen": written (never deleted) by any request.
VOLATILE = frozenset({"django_session", UserSession._meta.db_table})


class Writes:
    """Every row a request writes through the connection (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.tables: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        found = _WRITE.match(sql)
        if found is None:
            return result
        verb, table = sql.lstrip()[:6].upper(), found.group(1)
        if table in VOLATILE and verb != "DELETE":
            return result  # the session's own bookkeeping; ending a session is a write
        # An INSERT counts as written (with RETURNING, SQLite counts its rows only once they
        # are fetched); an UPDATE or DELETE that matched no row wrote nothing.
        if verb == "INSERT" or context["cursor"].rowcount:
            self.tables.append(table)
        return result


def body_text(response: HttpResponseBase) -> str:
    """What a person would read in the response: the page, the CSV, or every cell of the
    workbook."""
    if isinstance(response, StreamingHttpResponse):
        content = b"".join(response.streaming_content)  # type: ignore[arg-type]
    else:
        content = response.content  # type: ignore[attr-defined]
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = (
            str(v)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
        )
        return "\n".join(cells)
    return content.decode("utf-8-sig", errors="replace")


def snapshot() -> dict[str, tuple[int, int]]:
    """Every table's row count and a digest of its rows (sessions aside)."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in VOLATILE:
            continue
        rows = list(model._base_manager.order_by("pk").values_list())
        state[meta.label] = (len(rows), hash(repr(rows)))
    return state


EXPORT_REASON = {"export_reason": "Crawl of issue 14 (IDOR)."}
FILE_TYPES = ("text/csv", "application/vnd.openxmlformats")


@dataclass
class Crawl:
    world: World
    problems: list[str] = field(default_factory=list)
    pairs: int = 0  # (user, URL) requests made
    files: int = 0  # exports read as files
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, who: Who) -> Client:
        if who.key not in self.clients:
            self.clients[who.key] = Client()
            self.clients[who.key].force_login(who.user)
        return self.clients[who.key]

    def send(
        self,
        who: Who,
        method: str,
        url: str,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str, list[str], str]:
        """One request in a savepoint: its status, what it shows, the tables it wrote and its
        content type."""
        writes = Writes()
        self.pairs += 1
        client = self.client(who)  # signing in writes (last login, the access logs): not the page
        try:
            with transaction.atomic(), connection.execute_wrapper(writes):
                if method == "GET":
                    response = client.get(url, data, headers=headers)
                else:
                    response = client.post(url, data or {}, headers=headers)
                text = body_text(response)
        except Exception as exc:  # a 500: reported with the others, the crawl goes on
            self.problems.append(f"{who.key} {method} {url} {data or ''}: 500 {exc!r}")
            return 500, "", [], ""
        return response.status_code, text, writes.tables, response.get("Content-Type", "")

    def check(
        self,
        who: Who,
        method: str,
        url: str,
        expected: set[int] | frozenset[int],
        *,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        writes: bool = False,
        hidden: tuple[str, ...] = (),
        export: bool = False,
        why: str = "",
    ) -> int:
        if export:
            data = {**(data or {}), **EXPORT_REASON}
        status, text, wrote, content_type = self.send(who, method, url, data, headers)
        where = f"{who.key} {method} {url} {data or ''}{' ' + why if why else ''}"
        if status != 500 and status not in expected:
            self.problems.append(f"{where}: {status}, expected {sorted(expected)}")
        if wrote and not writes:
            self.problems.append(f"{where}: wrote to {sorted(set(wrote))}")
        shown = [marker for marker in hidden if marker in text]
        if shown:
            self.problems.append(f"{where}: shows {shown}")
        if export and status == 200:
            if content_type.startswith(FILE_TYPES):
                self.files += 1
            else:
                self.problems.append(f"{where}: {content_type}, not a file")
        return status

    def done(self, minimum: int) -> None:
        assert not self.problems, f"{len(self.problems)} findings:\n" + "\n".join(self.problems)
        assert self.pairs >= minimum, f"only {self.pairs} (user, URL) pairs crawled"


def post_data(world: World, book: Book, name: str, post: Post) -> dict[str, Any]:
    fields = dict(world.forms.get((book.key, name, post.label), {})) if post.form else {}
    return fields | post.data(world, book)


# ---------------------------------------------------------------- the tests


def test_every_url_pattern_is_known_to_the_crawl() -> None:
    """A new page fails here until ``PAGES`` (its ids and rights) or ``PLAIN`` knows it."""
    patterns = url_patterns()
    known = set(PAGES) | set(PLAIN)
    assert not set(patterns) - known, (
        f"Pages the crawl does not know: {sorted(set(patterns) - known)}"
    )
    assert not known - set(patterns), (
        f"Pages the crawl knows that are gone: {sorted(known - set(patterns))}"
    )
    for name, kwargs in patterns.items():
        if name in PAGES:
            page = PAGES[name]
            assert set(page.ids) == int_kwargs(kwargs), name
            others = set(kwargs) - int_kwargs(kwargs)
            for post in page.posts or (Post(view),):
                assert others <= set(page.args) | set(post.args), (name, others)
        else:
            assert not int_kwargs(kwargs), f"{name} names an object: give it to PAGES"


def foreign_books(world: World, who: Who) -> list[Book]:
    return [book for key, book in world.books.items() if not sees(who, key)]


# The book each reader of every account crawls as their own (both books are the same to them).
READER_BOOK = {"executive": "a", "risk": "b", "compliance": "a", "admin": "b"}


def own_books(who: Who) -> list[str]:
    """The book whose pages ``who`` opens as theirs: the one they reach, or one of the two."""
    if who.book is not None:
        return [who.book]
    return [READER_BOOK[who.key]] if who.key in READER_BOOK else []


def test_the_pages_of_a_book_out_of_reach_answer_404_and_change_nothing(world: World) -> None:
    """Every page naming an object of a book the user does not reach — opened or posted to
    with plausible data — answers 404, shows nothing of it, and writes nothing. A user's own
    objects (notifications, sessions) are out of reach of everyone else."""
    crawl = Crawl(world)
    for who in world.people.values():
        hidden = hidden_from(world, who)
        for book in foreign_books(world, who):
            ids = book_ids(world, book)
            for name, page in PAGES.items():
                kinds = set(page.ids.values())
                if kinds & (USER_KINDS | GLOBAL_KINDS):
                    continue
                outside = page.outside(who)
                if page.get is not None:
                    url = page_url(name, page, None, ids)
                    crawl.check(who, "GET", url, outside, hidden=hidden, export=page.export)
                for post in page.posts[:1]:  # the object is looked up before the data is read
                    url = page_url(name, page, post, ids)
                    data = post_data(world, book, name, post)
                    crawl.check(
                        who, "POST", url, outside, data=data, headers=post.headers, hidden=hidden
                    )
        missing = reverse("interactions:notification_read", args=[0])
        crawl.check(who, "POST", missing, {302}, why="(no such notification)")
        for kind, owners in world.mine.items():
            for owner_key, pk in owners.items():
                if owner_key == who.key:
                    continue
                for name, page in PAGES.items():
                    if set(page.ids.values()) == {kind}:
                        url = reverse(name, kwargs={next(iter(page.ids)): pk})
                        expected = {404}
                        if name == "interactions:notification_read":
                            # Marks only the user's own: the same redirect for any id, so the
                            # answer says nothing of whose the notification is.
                            expected = {302}
                        crawl.check(who, "POST", url, expected, hidden=hidden)
    crawl.done(minimum=1500)


def mixed_pages() -> list[tuple[str, Page]]:
    return [(name, page) for name, page in PAGES.items() if len(page.ids) > 1]


def test_a_child_of_another_book_is_not_reached_through_a_parent_in_reach(world: World) -> None:
    """An account (or alert) the user reaches, with a contact, project, interaction, review,
    follow-up, plan action, handover, ESG event or mitigation action of the other book in the
    same URL: 404 for whoever holds the page's right, 403 at most for the others, and never
    the child's data nor a write."""
    crawl = Crawl(world)
    for who in world.people.values():
        for parent_key in own_books(who):
            parent = world.books[parent_key]
            child = world.books[next(key for key in BOOKS if key != parent_key)]
            hidden = (*hidden_from(world, who), *child.markers, *child.secret, *child.notes)
            for name, page in mixed_pages():
                first, *rest = page.ids
                ids = {
                    first: parent.ids[page.ids[first]],
                    **{kwarg: child.ids[page.ids[kwarg]] for kwarg in rest},
                }
                kinds = {kwarg: kwarg for kwarg in page.ids}
                shape = Page(kinds, page.get, page.posts, page.args)
                if page.get is not None:
                    expected = {404} if page.get(who, parent_key) else {403, 404}
                    crawl.check(
                        who, "GET", page_url(name, shape, None, ids), expected, hidden=hidden
                    )
                for post in page.posts:
                    expected = {404} if post.gate(who, parent_key) else {403, 404}
                    crawl.check(
                        who,
                        "POST",
                        page_url(name, shape, post, ids),
                        expected,
                        data=post_data(world, parent, name, post),
                        headers=post.headers,
                        hidden=hidden,
                    )
    crawl.done(minimum=500)


def test_each_user_opens_the_pages_of_their_own_book(world: World) -> None:
    """The crawl is not vacuous: every page of a book the user reaches answers 200 to who may
    open it and 403 to who reads the account without that right — and shows nothing of the
    other book, nor the confidential interaction to readers off the account team."""
    crawl = Crawl(world)
    opened: dict[str, int] = {}
    for who in world.people.values():
        hidden = hidden_from(world, who)
        for key in own_books(who):
            ids = book_ids(world, world.books[key])
            for name, page in PAGES.items():
                if page.get is None:
                    continue
                may = page.get(who, key)
                status = crawl.check(
                    who,
                    "GET",
                    page_url(name, page, None, ids),
                    {200 if may else 403},
                    hidden=hidden,
                    writes=True,
                    export=page.export,
                )
                opened[who.key] = opened.get(who.key, 0) + (status == 200)
    crawl.done(minimum=600)
    assert crawl.files >= 20  # the interactions and privacy exports, read as files
    for who in world.people.values():
        if who.key == "nobody":
            assert who.key not in opened
        else:
            assert opened[who.key] >= 10, (who.key, opened[who.key])


def test_who_reads_an_account_but_may_not_write_there_changes_nothing(world: World) -> None:
    """Every write of every page, posted with plausible data by each user who reaches the
    account without the right to make it (executive, risk, compliance, a group granted
    "view", a role on the account team without it, the lead or owner where the step is the
    other's): 403, and not a row written — request by request, and table by table over the
    user's whole round."""
    crawl = Crawl(world)
    refused = 0
    for who in world.people.values():
        crawl.client(who)  # signed in before the tables are read: signing in writes
    before = snapshot()
    for who in world.people.values():
        hidden = hidden_from(world, who)
        for key in BOOKS:
            if not sees(who, key):
                continue
            book = world.books[key]
            ids = book_ids(world, book)
            for name, page in PAGES.items():
                if set(page.ids.values()) & USER_KINDS:
                    continue
                for post in page.posts:
                    if post.gate(who, key):
                        continue
                    refused += 1
                    crawl.check(
                        who,
                        "POST",
                        page_url(name, page, post, ids),
                        post.refused(who, key),
                        data=post_data(world, book, name, post),
                        headers=post.headers,
                        hidden=hidden,
                        why=post.label,
                    )
        for name, plain in PLAIN.items():
            for key, book in world.books.items():
                for post in plain.posts:
                    if post.gate(who, key):
                        continue
                    refused += 1
                    crawl.check(
                        who,
                        "POST",
                        reverse(name),
                        post.refused(who, key),
                        data=post_data(world, book, name, post),
                        hidden=hidden,
                        why=f"{post.label} on book {key}",
                    )
                if not plain.per_book:
                    break
    after = snapshot()
    changed = sorted(label for label in after if after[label] != before.get(label))
    if changed:
        crawl.problems.append(f"tables changed over the round: {changed}")
    crawl.done(minimum=400)
    assert refused >= 400


def test_every_write_the_crawl_attempts_does_write_for_who_may(world: World) -> None:
    """The data the crawl posts is plausible: posted by who may, each write goes through and
    writes rows (then it is rolled back). So a 403 above is a refusal, not a bad form — and the
    recorder of writes sees writes."""
    crawl = Crawl(world)
    for book in world.books.values():
        ids = book_ids(world, book)
        targets: list[tuple[str, Page | None, Post]] = [
            (name, page, post) for name, page in PAGES.items() for post in page.posts
        ]
        targets += [(name, None, post) for name, plain in PLAIN.items() for post in plain.posts]
        for name, page, post in targets:
            if not post.prober:
                continue
            who = prober(world, book, post)
            assert post.gate(who, book.key), (name, post.label, who.key)
            url = reverse(name) if page is None else page_url(name, page, post, ids)
            data = post_data(world, book, name, post)
            crawl.client(who)  # signed in outside the savepoint that is rolled back
            with transaction.atomic():
                if post.prepare is not None:
                    post.prepare(book)
                status, text, wrote, _type = crawl.send(who, "POST", url, data, post.headers)
                transaction.set_rollback(True)
            if status not in (200, 302) or not wrote:
                crawl.problems.append(
                    f"{who.key} POST {url} {post.label}: {status}, wrote {wrote}: "
                    + (re.sub(r"\s+", " ", text)[:0] if status == 302 else _errors(text))
                )
    crawl.done(minimum=70)


def _errors(html: str) -> str:
    """The form errors of a page, each after the name of the field it follows."""
    found = re.findall(
        r'name="([\w-]+)"|class="[^"]*(?:invalid-feedback|errorlist|alert-danger)[^"]*"[^>]*>(.*?)</',
        html,
        re.S,
    )
    errors, last = [], ""
    for name, text in found:
        if name:
            last = name
        else:
            errors.append(last + ": " + re.sub(r"<[^>]+>|\s+", " ", text).strip())
    return " | ".join(errors)[:600]


def test_lists_searches_exports_and_dashboards_show_only_the_users_book(world: World) -> None:
    """The home, the lists, their searches and drill-down filters, every export (CSV and
    Excel), the dashboards, the reports and the JSON health check: nothing of a book the user
    does not reach, even asked for by its name, its id, its owner or its team."""
    crawl = Crawl(world)
    for who in world.people.values():
        if who.key not in LIST_READERS:
            continue
        # The filters are asked with the names and ids of a book out of reach (one is enough:
        # the other is the same to the one door); who reads every account asks plainly.
        unseen = foreign_books(world, who)[:1]
        for name, plain in PLAIN.items():
            if plain.skip or not plain.get:
                continue
            hidden = hidden_from(world, who, change_log=plain.change_log)
            expected = {200 if plain.may is None or plain.may(who, "") else 403}
            variants = plain.args
            if plain.sample is not None and who.key not in EVERY_TABLE:
                variants = variants[: plain.sample]
            for index, args in enumerate(variants):
                url = reverse(name, kwargs=dict(args))
                # The filters with the first format; the other formats as they are.
                queries = plain.queries if unseen and index == 0 else (no_query,)
                for query in queries:
                    crawl.check(
                        who,
                        "GET",
                        url,
                        expected,
                        data=query(world, (unseen or [world.books["b"]])[0]),
                        hidden=hidden,
                        writes=True,
                        export=plain.export,
                    )
        # A query string naming an account out of reach: the one door answers 404.
        for book in foreign_books(world, who):
            url = reverse("service:create")
            data = {"account": book.ids["account"]}
            crawl.check(who, "GET", url, {404}, data=data, hidden=hidden_from(world, who))
    crawl.done(minimum=700)
    assert crawl.files >= 150  # exports read as files, not as the page asking for a reason


def test_the_confidential_interaction_stays_with_the_account_team(world: World) -> None:
    """Readers of an account off its account team (executive, risk, the granted groups, the
    administrator) find its confidential interaction nowhere: 404 for its page, its edit form
    and its follow-up. Compliance reads it (each read of its notes logged), and may not edit
    it."""
    crawl = Crawl(world)
    for who in world.people.values():
        for key, book in world.books.items():
            if not sees(who, key):
                continue
            team = reads_confidential(who, key)
            ids = {"pk": book.ids["account"], "interaction_pk": book.ids["secret_interaction"]}
            crawl.check(
                who,
                "GET",
                reverse("interactions:detail", kwargs=ids),
                {200} if team else {404},
                writes=team,
            )
            crawl.check(
                who,
                "GET",
                reverse("interactions:edit", kwargs=ids),
                ({200} if RL in rights(who, key) else {403}) if team else {403, 404},
                writes=team,
            )
            if not team:
                url = reverse(
                    "interactions:follow_up_toggle",
                    args=[book.ids["account"], book.ids["secret_follow_up"]],
                )
                crawl.check(who, "POST", url, {403, 404}, data={"done": "1"})
    crawl.done(minimum=60)

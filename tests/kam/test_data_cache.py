"""Page data kept between requests until anything is written (kam.data_cache): the RM home,
the account page and its panels, the timeline and the account list. Everything else in the
suite runs with DATA_CACHE_SECONDS = 0; these tests keep the data and show that every kind
of write — a save, a queryset update, a bulk insert — is seen by the very next request."""

from __future__ import annotations

import pickle

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from kam import access_cache
from kam.data_cache import is_data_write, kept_data, writes_to_account
from kam.models import Notification
from kam.request_scope import request_scope
from kam.services import notification_send
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_data")]


@pytest.fixture
def keep_data(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_CACHE_SECONDS = 60


def _page_queries(client: Client, url: str) -> list[str]:
    """The request's queries other than the signed-in user's and the account's own row
    (the one door reads it live on every view)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith('SELECT "kam_user"')
        and not q["sql"].startswith('SELECT "accounts_account"."id", "accounts_account"."legal')
    ]


def test_what_counts_as_a_write() -> None:
    assert is_data_write('INSERT INTO "interactions_followup" ("account_id") VALUES (1)')
    assert is_data_write('UPDATE "risk_alert" SET "state" = \'closed\'')
    assert is_data_write('DELETE FROM "accounts_contact" WHERE "id" = 3')
    assert is_data_write("TRUNCATE accounts_project")
    assert is_data_write("INSERT INTO risk_alertevent (alert_id) SELECT id FROM risk_alert")
    assert is_data_write("WITH moved AS (UPDATE risk_alert SET state = 'closed') SELECT 1")
    assert not is_data_write('SELECT * FROM "accounts_account" FOR UPDATE')
    assert not is_data_write("WITH recent AS (SELECT 1) SELECT * FROM recent")
    assert not is_data_write('UPDATE "django_session" SET "session_data" = \'x\'')
    assert not is_data_write('INSERT INTO "auditlog_logentry" ("action") VALUES (0)')
    assert not is_data_write('INSERT INTO "kam_heartbeat" ("name") VALUES (\'beat\')')
    assert is_data_write('INSERT OR IGNORE INTO "kam_notification" ("key") VALUES (%s)')
    assert not is_data_write('UPDATE "kam_user" SET "last_login" = %s WHERE "kam_user"."id" = %s')
    assert is_data_write('UPDATE "kam_user" SET "last_login" = %s, "first_name" = %s WHERE 1')


@pytest.mark.parametrize(
    "url_name", ["home", "accounts:list", "accounts:detail", "interactions:timeline"]
)
def test_a_page_is_computed_once_then_kept(client: Client, cast: Cast, url_name: str) -> None:
    client.force_login(cast.owner)
    args = [] if url_name in ("home", "accounts:list") else [cast.account.pk]
    url = reverse(url_name, args=args)
    assert _page_queries(client, url)
    assert _page_queries(client, url) == []


def test_a_save_is_on_the_home_page_at_once(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    assert "Board pack ready" not in client.get(reverse("home")).content.decode()
    notification_send(user=cast.owner, title="Board pack ready")
    assert "Board pack ready" in client.get(reverse("home")).content.decode()


def test_a_queryset_update_is_seen_at_once(client: Client, cast: Cast) -> None:
    """No signal fires for ``update()``; the write itself moves the generation."""
    client.force_login(cast.owner)
    url = reverse("accounts:detail", args=[cast.account.pk])
    contact = ContactFactory(account=cast.account, name="Li Ming")
    assert "Li Ming" in client.get(url).content.decode()
    type(contact).objects.filter(pk=contact.pk).update(name="Li Hua")
    page = client.get(url).content.decode()
    assert "Li Hua" in page and "Li Ming" not in page
    notification_send(user=cast.owner, title="Covenant test due")
    assert "Covenant test due" in client.get(reverse("home")).content.decode()
    Notification.objects.filter(user=cast.owner).update(read_at="2026-01-01T00:00:00Z")
    assert "Covenant test due" not in client.get(reverse("home")).content.decode()


def test_a_bulk_insert_is_seen_at_once(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:list")
    assert "Harbour Logistics" not in client.get(url).content.decode()
    Account.objects.bulk_create(
        [AccountFactory.build(legal_name_en="Harbour Logistics", owner=cast.owner)]
    )
    access_cache.access_changed()  # a bulk insert sends no signal; the access ids move here
    assert "Harbour Logistics" in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_generation_moves_when_a_write_commits_and_for_the_writer_before() -> None:
    """Real transactions: a write inside one moves the generation at the commit (once,
    however many rows), or earlier when the writer itself reads kept data; a write outside
    one at once."""
    from tests.factories import AccountFactory, UserFactory

    owner = UserFactory(username="rm.txn")
    account = AccountFactory(owner=owner)

    def current() -> int:
        with request_scope():
            return access_cache.data_generation()

    before = current()
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(notes="one")
        Account.objects.filter(pk=account.pk).update(notes="two")
        assert current() == before  # other processes cannot see the rows yet
        bumps = [c for _s, c, _r in connection.run_on_commit if getattr(c, "kam_data_bump", 0)]
        assert len(bumps) == 1
        kept_data(owner.pk, "probe", lambda: "seen")  # the writer reads: moves first
        during = current()
        assert during != before
    after_commit = current()
    assert after_commit != during
    Account.objects.filter(pk=account.pk).update(notes="three")  # autocommit
    assert current() != after_commit


def test_kept_values_are_per_user_and_language(cast: Cast) -> None:
    from django.utils import translation

    assert kept_data(cast.owner.pk, "probe", lambda: "en") == "en"
    assert kept_data(cast.teammate.pk, "probe", lambda: "other") == "other"
    with translation.override("zh-hans"):
        assert kept_data(cast.owner.pk, "probe", lambda: "zh") == "zh"
    assert kept_data(cast.owner.pk, "probe", lambda: "again") == "en"


def test_nothing_kept_holds_personal_data_or_password_hashes(client: Client, cast: Cast) -> None:
    contact = ContactFactory(account=cast.account, phone="13912345678", email="cfo@sunrise.cn")
    client.force_login(cast.owner)
    for url in (
        reverse("home"),
        reverse("accounts:list"),
        reverse("accounts:detail", args=[cast.account.pk]),
        reverse("interactions:timeline", args=[cast.account.pk]),
    ):
        assert client.get(url).status_code == 200
    kept = {
        key: pickle.dumps(value)
        for key, value in cache._cache.items()  # type: ignore[attr-defined]
        if "kam:data:" in key
    }
    assert kept, "nothing was kept"
    for key, value in kept.items():
        assert cast.owner.password.encode() not in value, key
    stored = b"".join(kept.values())
    assert b"13912345678" not in stored and b"cfo@sunrise.cn" not in stored
    assert contact.name.encode() in stored  # the contact row itself is kept, masked


@pytest.mark.usefixtures("redis_cache")
def test_the_data_cache_works_on_redis(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    home = reverse("home")
    assert _page_queries(client, home)
    assert _page_queries(client, home) == []
    notification_send(user=cast.owner, title="Site visit confirmed")
    assert "Site visit confirmed" in client.get(home).content.decode()


def test_a_pickled_user_carries_no_password_hash_and_keeps_it_on_save(cast: Cast) -> None:
    copy = pickle.loads(pickle.dumps(cast.owner))  # noqa: S301 - our own bytes
    assert "password" not in copy.__dict__
    copy.first_name = "Renamed"
    copy.save()
    cast.owner.refresh_from_db()
    assert cast.owner.first_name == "Renamed"
    assert copy.password == cast.owner.password  # read again when asked for


# ---------------------------------------------------------------- writes to one account


def _contact_form(name: str) -> dict[str, object]:
    return {
        "name": name,
        "title": "Treasurer",
        "seniority": "senior",
        "influence": "influencer",
        "attitude": "neutral",
        "channel_preferences": ["meeting"],
    }


@pytest.fixture
def other_account(cast: Cast) -> Account:
    return AccountFactory(owner=cast.owner, legal_name_en="Harbour Logistics")


def test_a_form_posted_to_another_account_leaves_this_accounts_pages_kept(
    client: Client, cast: Cast, other_account: Account
) -> None:
    """The account page and the timeline read their account's rows alone: a contact added
    on another account's page leaves them kept, and shows at once on that account's page
    and on the home, which spans accounts."""
    client.force_login(cast.owner)
    here = [
        reverse("accounts:detail", args=[cast.account.pk]),
        reverse("interactions:timeline", args=[cast.account.pk]),
    ]
    there = reverse("accounts:detail", args=[other_account.pk])
    home = reverse("home")
    for url in (*here, there, home):
        assert _page_queries(client, url)
    response = client.post(
        reverse("accounts:contact_create", args=[other_account.pk]), _contact_form("Zhou Min")
    )
    assert response.status_code == 302
    for url in here:
        assert _page_queries(client, url) == [], url
    assert "Zhou Min" in client.get(there).content.decode()
    assert _page_queries(client, home)


def test_a_form_posted_to_this_account_is_on_its_page_at_once(
    client: Client, cast: Cast, other_account: Account
) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:detail", args=[cast.account.pk])
    there = reverse("accounts:detail", args=[other_account.pk])
    assert _page_queries(client, url) and _page_queries(client, there)
    client.post(
        reverse("accounts:contact_create", args=[cast.account.pk]), _contact_form("Qian Yu")
    )
    assert "Qian Yu" in client.get(url).content.decode()
    assert _page_queries(client, there) == []


def test_an_action_on_another_accounts_alert_leaves_this_accounts_page_kept(
    client: Client, cast: Cast, other_account: Account
) -> None:
    from risk.choices import Severity
    from risk.services import alert_raise_manual

    alert = alert_raise_manual(
        account=other_account,
        user=cast.owner,
        title="Sponsor exploring refinancing",
        description="Heard from the CFO.",
        severity=Severity.MEDIUM,
    )
    client.force_login(cast.owner)
    url = reverse("accounts:detail", args=[cast.account.pk])
    there = reverse("accounts:detail", args=[other_account.pk])
    assert _page_queries(client, url) and _page_queries(client, there)
    response = client.post(reverse("risk:alert_acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    assert _page_queries(client, url) == []
    assert _page_queries(client, there)


def test_a_write_that_names_no_account_drops_every_accounts_page(
    client: Client, cast: Cast, other_account: Account
) -> None:
    """A queryset update outside any account's request, a job's write, a change in the
    admin: no account named, nothing kept survives it."""
    client.force_login(cast.owner)
    url = reverse("accounts:detail", args=[cast.account.pk])
    client.post(
        reverse("accounts:contact_create", args=[other_account.pk]), _contact_form("Zhou Min")
    )
    assert _page_queries(client, url)
    assert _page_queries(client, url) == []
    Account.objects.filter(pk=other_account.pk).update(notes="Moved to watch list")
    assert _page_queries(client, url)


def test_a_request_names_its_account_for_its_own_writes_only(cast: Cast) -> None:
    """The account a request named is forgotten when it ends: a write after it, outside
    any request, names none."""
    from kam import data_cache

    client = Client()
    client.force_login(cast.owner)
    client.post(reverse("accounts:contact_create", args=[cast.account.pk]), _contact_form("Li"))
    assert data_cache._account_written.get() is None
    with data_cache.writes_to_account(cast.account.pk):
        assert data_cache._account_written.get() == cast.account.pk
        data_cache.request_writes_to_account(999)  # outside a request: no effect
        assert data_cache._account_written.get() == cast.account.pk
    assert data_cache._account_written.get() is None


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_to_one_account_moves_its_generation_and_the_shared_one() -> None:
    from kam.data_cache import account_generation_key, writes_to_account
    from tests.factories import UserFactory

    owner = UserFactory(username="rm.scope")
    one, two = AccountFactory(owner=owner), AccountFactory(owner=owner)

    def current() -> tuple[int, int, int, int]:
        with request_scope():
            return (
                access_cache.data_generation(),
                access_cache.unscoped_generation(),
                access_cache.shared_generation(account_generation_key(one.pk)),
                access_cache.shared_generation(account_generation_key(two.pk)),
            )

    before = current()
    with writes_to_account(one.pk), transaction.atomic():
        Account.objects.filter(pk=one.pk).update(notes="one")
        Account.objects.filter(pk=one.pk).update(notes="two")
        assert current() == before
    after = current()
    assert after[0] != before[0] and after[2] != before[2]  # the shared one and one's
    assert after[1] == before[1] and after[3] == before[3]  # not the unscoped, not two's
    Account.objects.filter(pk=two.pk).update(notes="three")  # no account named
    last = current()
    assert last[1] != after[1] and last[2] == after[2]


# ---------------------------------------------------------------- a user's book


def test_a_write_outside_a_users_book_leaves_their_home_and_list_kept(
    client: Client, cast: Cast
) -> None:
    """The home and the account list read the accounts of the user's book: a colleague's
    write to an account outside it leaves them kept, a write to one inside drops them."""
    theirs = AccountFactory(owner=cast.outsider, legal_name_en="Delta Ports")
    client.force_login(cast.owner)
    pages = [reverse("home"), reverse("accounts:list")]
    for url in pages:
        assert _page_queries(client, url)
    colleague = Client()
    colleague.force_login(cast.outsider)
    response = colleague.post(
        reverse("accounts:contact_create", args=[theirs.pk]), _contact_form("Sun Li")
    )
    assert response.status_code == 302
    for url in pages:
        assert _page_queries(client, url) == [], url
    response = colleague.post(
        reverse("accounts:contact_create", args=[cast.account.pk]), _contact_form("Sun Li")
    )
    assert response.status_code == 404  # not the colleague's: nothing written
    for url in pages:
        assert _page_queries(client, url) == [], url
    Account.objects.filter(pk=cast.account.pk).update(notes="Watch list")  # names none
    for url in pages:
        assert _page_queries(client, url)
    with writes_to_account(cast.account.pk):
        Account.objects.filter(pk=cast.account.pk).update(legal_name_en="Sunrise Energy")
    assert "Sunrise Energy" in client.get(reverse("accounts:list")).content.decode()


def test_a_users_notification_is_on_their_home_at_once_whichever_account_it_came_with(
    client: Client, cast: Cast
) -> None:
    theirs = AccountFactory(owner=cast.outsider)
    client.force_login(cast.owner)
    home = reverse("home")
    assert _page_queries(client, home)
    with writes_to_account(theirs.pk):
        notification_send(user=cast.owner, title="Handover from Zhang")
    assert "Handover from Zhang" in client.get(home).content.decode()


def test_who_reads_every_account_sees_any_write_at_once(client: Client, cast: Cast) -> None:
    theirs = AccountFactory(owner=cast.outsider, legal_name_en="Delta Ports")
    client.force_login(cast.executive)
    url = reverse("accounts:list")
    assert _page_queries(client, url)
    assert _page_queries(client, url) == []
    with writes_to_account(theirs.pk):
        Account.objects.filter(pk=theirs.pk).update(legal_name_en="Delta Harbour Ports")
    assert "Delta Harbour Ports" in client.get(url).content.decode()


def test_a_lost_generation_never_leads_back_to_what_was_kept_before_a_write(
    client: Client, cast: Cast
) -> None:
    """A generation the cache loses (evicted, culled, expired) starts afresh: the home is
    computed again, never served as kept before the write that had moved it."""
    from kam.data_cache import account_generation_key

    client.force_login(cast.owner)
    home = reverse("home")
    assert "Sunrise Energy" not in client.get(home).content.decode()
    with writes_to_account(cast.account.pk):
        Account.objects.filter(pk=cast.account.pk).update(legal_name_en="Sunrise Energy")
    assert "Sunrise Energy" in client.get(home).content.decode()
    cache.delete(account_generation_key(cast.account.pk))
    assert "Sunrise Energy" in client.get(home).content.decode()


def test_a_notification_read_or_sent_in_bulk_moves_its_users_home(
    client: Client, cast: Cast
) -> None:
    from kam.services import NotificationDraft, notification_mark_read, notification_send_many

    theirs = AccountFactory(owner=cast.outsider)
    client.force_login(cast.owner)
    home = reverse("home")
    assert _page_queries(client, home)
    with writes_to_account(theirs.pk):
        notification_send_many(
            drafts=[NotificationDraft(user=cast.owner, key="handover", title="Handover notes")]
        )
    assert "Handover notes" in client.get(home).content.decode()
    notice = Notification.objects.get(user=cast.owner, key="handover")
    with writes_to_account(theirs.pk):
        notification_mark_read(user=cast.owner, notification_id=notice.pk)
    assert "Handover notes" not in client.get(home).content.decode()


def test_an_accounts_pages_are_kept_for_the_day_only(client: Client, cast: Cast) -> None:
    """An account's page data changes with the date (a contact falls due), so what was kept
    late one evening, Shanghai time, is computed again after midnight."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    shanghai = ZoneInfo("Asia/Shanghai")
    url = reverse("accounts:detail", args=[cast.account.pk])
    with time_machine.travel(dt.datetime(2026, 11, 30, 23, 58, tzinfo=shanghai), tick=False):
        client.force_login(cast.owner)
        assert _page_queries(client, url)
        assert _page_queries(client, url) == []
    with time_machine.travel(dt.datetime(2026, 12, 1, 0, 2, tzinfo=shanghai), tick=False):
        client.force_login(cast.owner)  # a session does not last across the night
        assert _page_queries(client, url)
        assert _page_queries(client, url) == []

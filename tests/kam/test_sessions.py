"""Sessions (issue 14, finding 7): a user sees their signed-in sessions and ends any or all of
them; an administrator ends all of a user's; deactivating a user, changing their password or
their roles ends theirs. "Signed out" is what the browser sees: its next request goes to the
sign-in page, because the session's row in django_session is gone."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.models import User, UserSession
from kam.roles import Role
from kam.services import SESSION_SEEN_KEY
from kam.user_agents import describe_user_agent
from tests.conftest import Cast
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # tests.factories.UserFactory
NEW_PASSWORD = "Lantern-harbour-7319"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _sign_in(user: User, agent: str = CHROME_WINDOWS, address: str = "203.0.113.9") -> Client:
    """Sign in through the sign-in form, as a browser does."""
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _key(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _row(client: Client) -> UserSession:
    return UserSession.objects.get(session_id=_key(client))


def _signed_in(client: Client) -> bool:
    response = client.get(reverse("session_list"))
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    return False


def _session_gone(client: Client) -> bool:
    key = _key(client)
    return (
        not Session.objects.filter(pk=key).exists()
        and not UserSession.objects.filter(session_id=key).exists()
    )


# ---------------------------------------------------------------- the sessions page


def test_signing_in_records_the_session_and_the_page_lists_each_one(cast: Cast) -> None:
    laptop = _sign_in(cast.owner, CHROME_WINDOWS, "203.0.113.9")
    phone = _sign_in(cast.owner, SAFARI_IPHONE, "198.51.100.7")
    _sign_in(cast.outsider, FIREFOX_LINUX, "192.0.2.44")

    row = _row(laptop)
    assert (row.user, row.ip_address, row.user_agent) == (cast.owner, "203.0.113.9", CHROME_WINDOWS)
    assert row.device == "Chrome on Windows"

    response = laptop.get(reverse("session_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Chrome on Windows" in body and "203.0.113.9" in body
    assert "Safari on iOS" in body and "198.51.100.7" in body
    assert "192.0.2.44" not in body and "Firefox" not in body  # the outsider's
    assert body.count("This session") == 1
    # Only the other session has an "End" button; session keys never reach the page.
    assert reverse("session_end", args=[_row(phone).pk]) in body
    assert reverse("session_end", args=[row.pk]) not in body
    assert _key(laptop) not in body and _key(phone) not in body
    assert reverse("session_list") in body  # the link in the user menu


def test_the_page_keeps_to_the_csp_and_speaks_chinese(cast: Cast) -> None:
    client = _sign_in(cast.owner)
    body = client.get(reverse("session_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "会话" in body and "本会话" in body
    assert " style=" not in body and "<style" not in body
    assert "<script>" not in body


def test_ending_a_session_signs_that_browser_out(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    phone = _sign_in(cast.owner, SAFARI_IPHONE)

    response = laptop.post(reverse("session_end", args=[_row(phone).pk]), follow=True)
    assert response.redirect_chain == [(reverse("session_list"), 302)]
    assert "The session on Safari on iOS has ended." in response.content.decode()
    assert _session_gone(phone)
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_ending_this_session_signs_out(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    response = laptop.post(reverse("session_end", args=[_row(laptop).pk]))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not _signed_in(laptop)


def test_end_all_other_sessions(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    phone = _sign_in(cast.owner, SAFARI_IPHONE)
    desktop = _sign_in(cast.owner, FIREFOX_LINUX)
    outsider = _sign_in(cast.outsider)

    response = laptop.post(reverse("session_end_others"), follow=True)
    assert "2 other sessions have ended." in response.content.decode()
    assert not _signed_in(phone) and not _signed_in(desktop)
    assert _signed_in(laptop) and _signed_in(outsider)
    assert list(UserSession.objects.filter(user=cast.owner)) == [_row(laptop)]


def test_another_users_session_cannot_be_ended(cast: Cast) -> None:
    owner = _sign_in(cast.owner)
    outsider = _sign_in(cast.outsider)
    url = reverse("session_end", args=[_row(owner).pk])
    assert outsider.post(url).status_code == 404
    assert owner.get(url).status_code == 405  # a GET ends nothing
    assert _signed_in(owner)
    assert Client().post(url).status_code == 302  # anonymous: to the sign-in page
    assert _signed_in(owner)


def test_signing_out_removes_the_row(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    key = _key(laptop)
    assert laptop.post(reverse("logout")).status_code == 302
    assert not UserSession.objects.filter(session_id=key).exists()


# ---------------------------------------------------------------- last seen, without a query


def test_last_seen_is_written_only_after_the_interval(cast: Cast) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    interval = dt.timedelta(seconds=django_settings.USER_SESSION_SEEN_SECONDS)
    with time_machine.travel(start, tick=False) as traveller:
        laptop = _sign_in(cast.owner, address="203.0.113.9")
        expires = Session.objects.get(pk=_key(laptop)).expire_date
        assert _row(laptop).last_seen == start

        traveller.move_to(start + interval - dt.timedelta(seconds=1))
        laptop.get(reverse("home"), REMOTE_ADDR="203.0.113.77")
        row = _row(laptop)
        assert (row.last_seen, row.ip_address) == (start, "203.0.113.9")

        later = start + interval + dt.timedelta(seconds=1)
        traveller.move_to(later)
        laptop.get(reverse("home"), REMOTE_ADDR="203.0.113.77")
        row = _row(laptop)
        assert (row.last_seen, row.ip_address) == (later, "203.0.113.77")
        # The session's lifetime still counts from sign-in: writing last seen does not extend it.
        assert Session.objects.get(pk=_key(laptop)).expire_date == expires


def test_a_fresh_session_adds_no_query_to_a_page(cast: Cast, settings) -> None:
    url = reverse("home")
    client = _sign_in(cast.owner)
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as with_sessions:
        assert client.get(url).status_code == 200

    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "kam.middleware.UserSessionMiddleware"
    ]
    without = Client()
    without.cookies = client.cookies
    with CaptureQueriesContext(connection) as without_sessions:
        assert without.get(url).status_code == 200
    assert len(with_sessions) == len(without_sessions)

    # Once stale: two writes (the row's last seen, the mark in the session), then none again.
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "kam.middleware.UserSessionMiddleware"]
    later = timezone.now() + dt.timedelta(seconds=django_settings.USER_SESSION_SEEN_SECONDS + 1)
    with time_machine.travel(later):
        stale = Client()
        stale.cookies = client.cookies
        with CaptureQueriesContext(connection) as touched:
            assert stale.get(url).status_code == 200
        with CaptureQueriesContext(connection) as fresh_again:
            assert stale.get(url).status_code == 200
    assert len(touched) == len(without_sessions) + 2
    assert len(fresh_again) == len(without_sessions)


def test_a_session_from_before_rows_were_kept_still_works(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    key = _key(laptop)
    # What a session signed in before this change looks like: no row, no mark.
    UserSession.objects.all().delete()
    store = SessionStore(session_key=key)
    data = store.load()
    del data[SESSION_SEEN_KEY]
    Session.objects.filter(pk=key).update(session_data=store.encode(data))

    response = laptop.get(reverse("session_list"), REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 200
    row = _row(laptop)
    assert (row.user, row.ip_address, row.device) == (
        cast.owner,
        "198.51.100.20",
        "Chrome on Windows",
    )
    assert "This session" in response.content.decode()


def test_the_migration_records_sessions_signed_in_before_it(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    anonymous = SessionStore()
    anonymous["cart"] = "nothing"
    anonymous.create()
    UserSession.objects.all().delete()

    migration = importlib.import_module("kam.migrations.0006_usersession")
    migration.record_open_sessions(apps, None)

    row = UserSession.objects.get()
    assert (row.session_id, row.user) == (_key(laptop), cast.owner)
    expires = Session.objects.get(pk=_key(laptop)).expire_date
    assert row.created_at == expires - dt.timedelta(seconds=django_settings.SESSION_COOKIE_AGE)


# ---------------------------------------------------------------- a change of access ends them


def test_deactivating_a_user_ends_their_sessions(cast: Cast) -> None:
    laptop, phone = _sign_in(cast.owner), _sign_in(cast.owner, SAFARI_IPHONE)
    others = _sign_in(cast.teammate)
    cast.owner.is_active = False
    cast.owner.save()
    assert _session_gone(laptop) and _session_gone(phone)
    # Reactivated, the old sessions stay ended.
    cast.owner.is_active = True
    cast.owner.save()
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(others)


def test_changing_a_password_with_set_password_ends_every_session(cast: Cast) -> None:
    laptop, phone = _sign_in(cast.owner), _sign_in(cast.owner, SAFARI_IPHONE)
    cast.owner.set_password(NEW_PASSWORD)
    cast.owner.save()
    assert _session_gone(laptop) and _session_gone(phone)
    assert not _signed_in(laptop) and not _signed_in(phone)


def test_saving_a_user_without_an_access_change_keeps_their_sessions(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    cast.owner.first_name = "Wei"
    cast.owner.save()
    cast.owner.language = "zh-hans"
    cast.owner.save(update_fields=["language"])
    assert _signed_in(laptop)


def test_an_administrator_changing_a_password_ends_that_users_sessions(cast: Cast) -> None:
    laptop, phone = _sign_in(cast.owner), _sign_in(cast.owner, SAFARI_IPHONE)
    admin = _sign_in(cast.admin)
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[cast.owner.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(admin)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(cast: Cast) -> None:
    admin, elsewhere = _sign_in(cast.admin), _sign_in(cast.admin, SAFARI_IPHONE)
    response = admin.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert _signed_in(admin)
    assert not _signed_in(elsewhere)
    # The session Django moved to a new key is listed (its row made on its next request).
    assert list(UserSession.objects.filter(user=cast.admin)) == [_row(admin)]


@pytest.mark.parametrize(
    "change",
    [
        "remove_role",
        "add_role",
        "set_roles",
        "clear_roles",
        "group_adds_user",
        "group_removes_user",
        "group_cleared",
    ],
)
def test_changing_a_users_roles_ends_their_sessions(cast: Cast, change: str) -> None:
    teammate = _sign_in(cast.teammate)  # an RM too: a change of the owner alone keeps theirs
    rm = Group.objects.get(name=Role.RM)
    lead = Group.objects.get(name=Role.TEAM_LEAD)
    desk = Group.objects.create(name="Syndication desk")
    desk.user_set.add(cast.owner)
    laptop, phone = _sign_in(cast.owner), _sign_in(cast.owner, SAFARI_IPHONE)
    {
        "remove_role": lambda: cast.owner.groups.remove(rm),
        "add_role": lambda: cast.owner.groups.add(lead),
        "set_roles": lambda: cast.owner.groups.set([lead, desk]),
        "clear_roles": lambda: cast.owner.groups.clear(),
        "group_adds_user": lambda: lead.user_set.add(cast.owner),
        "group_removes_user": lambda: rm.user_set.remove(cast.owner),
        "group_cleared": lambda: desk.user_set.clear(),
    }[change]()
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _session_gone(laptop)
    assert _signed_in(teammate)


def test_adding_a_role_the_user_has_keeps_their_sessions(cast: Cast) -> None:
    laptop = _sign_in(cast.owner)
    cast.owner.groups.add(Group.objects.get(name=Role.RM))
    assert _signed_in(laptop)


def test_an_administrator_changing_their_own_roles_is_signed_out(cast: Cast) -> None:
    admin = _sign_in(cast.admin)
    cast.admin.groups.add(Group.objects.get(name=Role.COMPLIANCE))
    assert not _signed_in(admin)


# ---------------------------------------------------------------- administrators


def test_the_admin_action_ends_all_sessions_of_the_selected_users(cast: Cast) -> None:
    owner, phone = _sign_in(cast.owner), _sign_in(cast.owner, SAFARI_IPHONE)
    teammate, outsider = _sign_in(cast.teammate), _sign_in(cast.outsider)
    admin = _sign_in(cast.admin, address="192.0.2.8")
    response = admin.post(
        reverse("admin:kam_user_changelist"),
        {"action": "end_sessions", "_selected_action": [cast.owner.pk, cast.teammate.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "3 sessions of" in response.content.decode()
    assert not _signed_in(owner) and not _signed_in(phone) and not _signed_in(teammate)
    assert _signed_in(outsider) and _signed_in(admin)

    entry = LogEntry.objects.filter(changes__has_key="active sessions").get(
        object_pk=str(cast.owner.pk)
    )
    assert (entry.actor, entry.remote_addr) == (cast.admin, "192.0.2.8")
    assert entry.changes_dict == {"active sessions": ["2", "0"]}


def test_the_user_page_button_ends_all_of_a_users_sessions(cast: Cast) -> None:
    owner, phone = _sign_in(cast.owner), _sign_in(cast.owner, SAFARI_IPHONE)
    admin = _sign_in(cast.admin)
    change_page = reverse("admin:kam_user_change", args=[cast.owner.pk])
    url = reverse("admin:kam_user_end_sessions", args=[cast.owner.pk])

    page = admin.get(change_page)
    assert page.status_code == 200
    assert f'action="{url}"' in page.content.decode()
    assert admin.get(url).status_code == 405
    assert _signed_in(owner)

    response = admin.post(url)
    assert response.status_code == 302 and response["Location"] == change_page
    assert not _signed_in(owner) and not _signed_in(phone)
    assert _signed_in(admin)
    entry = LogEntry.objects.filter(changes__has_key="active sessions").get()
    assert (entry.actor, entry.object_pk) == (cast.admin, str(cast.owner.pk))


def test_only_those_who_may_change_users_end_their_sessions(cast: Cast) -> None:
    owner = _sign_in(cast.owner)
    url = reverse("admin:kam_user_end_sessions", args=[cast.owner.pk])
    # Not staff: to the admin's sign-in page.
    response = _sign_in(cast.outsider).post(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Staff without the right to change users.
    clerk = UserFactory.create(username="clerk", is_staff=True)
    assert _sign_in(clerk).post(url).status_code == 403
    assert _signed_in(owner)
    assert not LogEntry.objects.filter(changes__has_key="active sessions").exists()


# ---------------------------------------------------------------- what a browser is called


@pytest.mark.parametrize(
    ("header", "device"),
    [
        (CHROME_WINDOWS, "Chrome on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (FIREFOX_LINUX, "Firefox on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/18.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI",
            "WeChat on iOS",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_a_user_agent_reads_as_browser_on_system(header: str, device: str) -> None:
    assert describe_user_agent(header) == device


def test_expired_sessions_and_their_rows_are_cleared_daily(client) -> None:
    """kam.sessions_clear_expired (beat: kam-sessions-clear) removes expired sessions and
    their rows, and leaves the live ones."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from kam.models import UserSession
    from kam.tasks import sessions_clear_expired
    from tests.factories import UserFactory

    live, stale = UserFactory.create(username="live"), UserFactory.create(username="stale")
    client.force_login(stale)
    client.get("/")
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(live)
    client.get("/")
    assert UserSession.objects.count() == 2
    sessions_clear_expired()
    assert list(UserSession.objects.values_list("user__username", flat=True)) == ["live"]
    assert Session.objects.count() == 1
    assert "kam-sessions-clear" in settings.CELERY_BEAT_SCHEDULE

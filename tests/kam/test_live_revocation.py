"""Access and logout against real web processes, as deployed: gunicorn on the PostgreSQL test
database that pytest-django created, the test committing its rows (transactional tests).

A. Revocation is immediate on every process: two gunicorn processes serve an RM's account,
   access is taken away by one route (the account form, Django admin, a queryset update, raw
   SQL, a restored backup), and both processes answer 404 on the very next request — no
   sleep, no retry — while whoever keeps access still gets the page.
B. With Redis down (the cache points at a port where nothing listens), a form login works,
   every main page answers without a 5xx for an RM and an executive, and a logout holds: the
   old session cookie is sent back to the login page, request after request.

These need PostgreSQL (two processes share the database): they skip without it, and fail in CI.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from typing import IO, Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Account, AccountGroupObjectPermission, AccountMembership
from accounts.selectors import account_list_for_user
from interactions.models import Channel
from interactions.services.service import service_request_open
from kam.models import User
from kam.roles import Role
from risk.choices import Severity
from risk.services.alerts import alert_raise_manual
from tests.conftest import IN_CI, Cast
from tests.factories import UserFactory
from tests.interactions.factories import InteractionFactory

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 30.0  # seconds for a process to answer /healthz
REQUEST_TIMEOUT = 15.0
PASSWORD = "pw-for-tests"  # tests.factories.UserFactory


# ---------------------------------------------------------------- HTTP without a browser


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    body: str
    cookies: dict[str, str]  # what the response set


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to look at, not to follow."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def _reply(status: int, headers: Message, body: bytes) -> Reply:
    jar: SimpleCookie = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return Reply(
        status=status,
        location=headers.get("Location", ""),
        body=body.decode("utf-8", errors="replace"),
        cookies={name: morsel.value for name, morsel in jar.items()},
    )


def fetch(
    base_url: str, path: str, cookies: dict[str, str], data: dict[str, str] | None = None
) -> Reply:
    """One GET (or, with ``data``, a form POST) carrying ``cookies``; redirects not followed."""
    request = urllib.request.Request(
        base_url + path,
        data=urllib.parse.urlencode(data).encode() if data is not None else None,
        headers={"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())},
        method="POST" if data is not None else "GET",
    )
    try:
        with _OPENER.open(request, timeout=REQUEST_TIMEOUT) as response:
            return _reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return _reply(exc.code, exc.headers, exc.read())


def session_cookie(user: User) -> dict[str, str]:
    """A session created server-side (committed: these tests are transactional)."""
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


# ---------------------------------------------------------------- gunicorn


def _require_postgres() -> None:
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and (
        connection.vendor == "postgresql"
    ):
        return
    if IN_CI:
        pytest.fail("CI=true but DATABASE_URL is not PostgreSQL: live processes need it.")
    pytest.skip("DATABASE_URL is not PostgreSQL: two web processes share one database.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} log ({self.log}) ---\n{text[-chars:]}"

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.process.returncode})\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not answer within {START_TIMEOUT:.0f} s\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _database_url() -> str:
    """The test database pytest-django created (its NAME is the test one by now)."""
    db = connection.settings_dict
    user = urllib.parse.quote(db.get("USER") or "postgres", safe="")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


# The environment a process must not inherit from the test run: it gets its own.
_NOT_INHERITED = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_URL",
    "KAM_TEST_SHARED_CACHE",
    "DASHBOARD_CACHE_SECONDS",
    "KAM_BENCH_SQL_TIMING",
)


def _environment(extra_env: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="kam.settings.test",
        DATABASE_URL=_database_url(),
        PYTHONUNBUFFERED="1",
        **extra_env,
    )
    return env


_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "database": settings.DATABASES["default"]["NAME"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "dashboard_cache_seconds": settings.DASHBOARD_CACHE_SECONDS,
    "session_engine": settings.SESSION_ENGINE,
}))
"""


def _settings_seen(extra_env: dict[str, str]) -> dict[str, Any]:
    """The settings a process started with ``extra_env`` runs on: a test that means to
    exercise a cache must know it does."""
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=_environment(extra_env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    seen: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert seen["database"] == connection.settings_dict["NAME"]
    assert seen["session_engine"] == "django.contrib.sessions.backends.db"
    return seen


def _start(name: str, logs: Path, extra_env: dict[str, str]) -> Server:
    port = _free_port()
    env = _environment(extra_env)
    log = logs / f"{name}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "kam.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--timeout=30",
                "--graceful-timeout=3",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(name=name, base_url=f"http://127.0.0.1:{port}", process=process, log=log)


@contextmanager
def _servers(logs: Path, names: list[str], extra_env: dict[str, str]) -> Iterator[list[Server]]:
    """Processes started side by side, each answering before the test goes on, and each
    stopped (terminate, then kill) whatever happens."""
    servers: list[Server] = []
    try:
        for name in names:
            servers.append(_start(name, logs, extra_env))
        for server in servers:
            server.wait_until_up()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def two_processes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Server]]:
    """Two separate gunicorn processes of one worker each, on the shared test database and
    (when REDIS_URL is set) the shared Redis cache the portal is deployed with."""
    _require_postgres()
    request.getfixturevalue("django_db_setup")  # the test database, by its test name
    extra_env: dict[str, str] = {}
    if os.environ.get("REDIS_URL"):
        extra_env = {"REDIS_URL": os.environ["REDIS_URL"], "KAM_TEST_SHARED_CACHE": "1"}
        seen = _settings_seen(extra_env)
        assert seen["cache"] == "django.core.cache.backends.redis.RedisCache", seen
        assert seen["cache_location"] == os.environ["REDIS_URL"], seen
    with _servers(tmp_path_factory.mktemp("gunicorn"), ["web-a", "web-b"], extra_env) as servers:
        yield servers


@pytest.fixture(scope="module")
def redis_down_process(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One gunicorn process whose cache (and broker) is a Redis that does not answer: a port
    bound but not listening, held for the whole module, so every connection is refused."""
    _require_postgres()
    request.getfixturevalue("django_db_setup")  # the test database, by its test name
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        extra_env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "KAM_TEST_SHARED_CACHE": "1"}
        seen = _settings_seen(extra_env)
        assert seen["cache"] == "django.core.cache.backends.redis.RedisCache", seen
        assert seen["cache_location"] == extra_env["REDIS_URL"], seen
        assert seen["dashboard_cache_seconds"] > 0, seen  # the dashboard does reach for it
        with _servers(tmp_path_factory.mktemp("gunicorn"), ["web-no-redis"], extra_env) as servers:
            yield servers[0]


def _logs(servers: list[Server]) -> str:
    return "\n".join(server.log_tail() for server in servers)


# ---------------------------------------------------------------- A. revocation


@dataclass
class Revocation:
    subject: User  # whose access is taken away
    via: str  # the one path by which the subject reaches the account: "owner" or "team"
    keeper: User  # who reaches the account afterwards
    revoke: Callable[[], None]


def _by_form(cast: Cast, tmp_path: Path) -> Revocation:
    """The team lead hands the account to another RM of the team in the account form."""
    new_owner = UserFactory.create(username="rm.zhou", team=cast.team, roles=[Role.RM])
    url = reverse("accounts:edit", args=[cast.account.pk])

    def revoke() -> None:
        lead = Client()
        lead.force_login(cast.lead)
        page = lead.get(url)
        assert page.status_code == 200
        form = page.context["form"]
        data: dict[str, Any] = {
            name: form[name].value() for name in form.fields if form[name].value() is not None
        }
        data["owner"] = new_owner.pk
        response = lead.post(url, data)
        errors = response.context["form"].errors if response.context else None
        assert response.status_code == 302, errors
        assert Account.objects.get(pk=cast.account.pk).owner_id == new_owner.pk

    return Revocation(subject=cast.owner, via="owner", keeper=new_owner, revoke=revoke)


def _by_admin(cast: Cast, tmp_path: Path) -> Revocation:
    """An administrator deletes the RM's account-team membership in Django admin."""
    membership = AccountMembership.objects.get(account=cast.account, user=cast.teammate)
    url = reverse("admin:accounts_accountmembership_delete", args=[membership.pk])

    def revoke() -> None:
        admin = Client()
        admin.force_login(cast.admin)
        assert admin.get(url).status_code == 200  # the confirmation page
        response = admin.post(url, {"post": "yes"})
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:accounts_accountmembership_changelist")
        assert not AccountMembership.objects.filter(pk=membership.pk).exists()

    return Revocation(subject=cast.teammate, via="team", keeper=cast.owner, revoke=revoke)


def _by_queryset_update(cast: Cast, tmp_path: Path) -> Revocation:
    """``QuerySet.update``: no ``save()``, no signal."""

    def revoke() -> None:
        assert Account.objects.filter(pk=cast.account.pk).update(owner=cast.outsider) == 1

    return Revocation(subject=cast.owner, via="owner", keeper=cast.outsider, revoke=revoke)


def _by_raw_sql(cast: Cast, tmp_path: Path) -> Revocation:
    """Raw SQL, behind the ORM altogether."""
    assert Account._meta.db_table == "accounts_account"

    def revoke() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_account SET owner_id = %s WHERE id = %s",
                [cast.outsider.pk, cast.account.pk],
            )
            assert cursor.rowcount == 1

    return Revocation(subject=cast.owner, via="owner", keeper=cast.outsider, revoke=revoke)


def _by_restored_backup(cast: Cast, tmp_path: Path) -> Revocation:
    """A backup taken while another RM owned the account is loaded over the current state."""
    backup = tmp_path / "account-backup.json"
    pk = cast.account.pk
    Account.objects.filter(pk=pk).update(owner=cast.outsider)
    call_command("dumpdata", "accounts.Account", pks=str(pk), output=str(backup), verbosity=0)
    Account.objects.filter(pk=pk).update(owner=cast.owner)
    assert f'"owner": {cast.outsider.pk}' in backup.read_text()

    def revoke() -> None:
        call_command("loaddata", str(backup), verbosity=0)
        assert Account.objects.get(pk=pk).owner_id == cast.outsider.pk

    return Revocation(subject=cast.owner, via="owner", keeper=cast.outsider, revoke=revoke)


ROUTES: dict[str, Callable[[Cast, Path], Revocation]] = {
    "form": _by_form,
    "admin": _by_admin,
    "queryset-update": _by_queryset_update,
    "raw-sql": _by_raw_sql,
    "restored-backup": _by_restored_backup,
}


def _paths(user: User, account: Account) -> list[str]:
    """Every way ``user`` may reach ``account`` (accounts.selectors), read from the database."""
    user = User.objects.get(pk=user.pk)
    account = Account.objects.select_related("team").get(pk=account.pk)
    paths = {
        "owner": account.owner_id == user.pk,
        "lead": account.team is not None and account.team.lead_id == user.pk,
        "team": AccountMembership.objects.filter(account=account, user=user).exists(),
        "grant": AccountGroupObjectPermission.objects.filter(
            content_object=account, group__user=user
        ).exists(),
        "role": user.is_portal_admin or user.reads_all_accounts,
    }
    return [name for name, reaches in paths.items() if reaches]


def _statuses(servers: list[Server], path: str, cookies: dict[str, str]) -> list[int]:
    return [fetch(server.base_url, path, cookies).status for server in servers]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", list(ROUTES))
def test_a_revocation_shows_at_once_on_every_web_process(
    route: str, cast: Cast, two_processes: list[Server], tmp_path: Path
) -> None:
    revocation = ROUTES[route](cast, tmp_path)
    account = cast.account
    detail = reverse("accounts:detail", args=[account.pk])
    listing = reverse("accounts:list")
    assert _paths(revocation.subject, account) == [revocation.via]
    subject = session_cookie(revocation.subject)
    keeper = session_cookie(revocation.keeper)

    # Each process serves the RM (twice: whatever a process might keep, it has it now).
    for _ in range(2):
        assert _statuses(two_processes, detail, subject) == [200, 200], _logs(two_processes)
    for server in two_processes:
        assert account.legal_name_en in fetch(server.base_url, listing, subject).body

    revocation.revoke()
    assert _paths(revocation.subject, account) == []
    assert account not in account_list_for_user(user=User.objects.get(pk=revocation.subject.pk))

    # The very next request, on either process: no sleep, no retry.
    assert _statuses(two_processes, detail, subject) == [404, 404], _logs(two_processes)
    for server in two_processes:
        assert account.legal_name_en not in fetch(server.base_url, listing, subject).body
    # The processes are up and read the new state: whoever keeps access still gets the page.
    assert _statuses(two_processes, detail, keeper) == [200, 200], _logs(two_processes)


# ---------------------------------------------------------------- B. Redis down


def _form_login(server: Server, user: User) -> dict[str, str]:
    """Log in through the login form, as a browser does; returns the session cookie."""
    page = fetch(server.base_url, reverse("login"), {})
    assert page.status == 200, server.log_tail()
    csrf = {settings.CSRF_COOKIE_NAME: page.cookies[settings.CSRF_COOKIE_NAME]}
    reply = fetch(
        server.base_url,
        reverse("login"),
        csrf,
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf[settings.CSRF_COOKIE_NAME],
        },
    )
    assert reply.status == 302, (reply.status, server.log_tail())
    assert reply.location == reverse(settings.LOGIN_REDIRECT_URL)
    return {settings.SESSION_COOKIE_NAME: reply.cookies[settings.SESSION_COOKIE_NAME]}


def _main_pages(cast: Cast, request_pk: int, alert_pk: int) -> list[str]:
    pk = cast.account.pk
    return [
        reverse("home"),
        reverse("accounts:list"),
        reverse("accounts:detail", args=[pk]),
        reverse("accounts:tiering", args=[pk]),
        reverse("accounts:plan", args=[pk]),
        reverse("accounts:override_queue"),
        reverse("interactions:timeline", args=[pk]),
        reverse("interactions:review_list", args=[pk]),
        reverse("interactions:review_coverage"),
        reverse("service:list"),
        reverse("service:detail", args=[request_pk]),
        reverse("service:report"),
        reverse("risk:alert_list"),
        reverse("risk:alert_detail", args=[alert_pk]),
        reverse("risk:account_covenants", args=[pk]),
        reverse("risk:scan_list"),
        reverse("risk:rule_list"),
        reverse("dashboard:executive"),
        reverse("dashboard:executive"),  # again: the second reader would read the cache
        reverse("dashboard:supervision"),
        reverse("audit_trail"),
    ]


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_every_page_answers_and_a_logout_holds(
    cast: Cast, redis_down_process: Server
) -> None:
    server = redis_down_process
    InteractionFactory.create(account=cast.account, subject="Quarterly call")
    service_request = service_request_open(
        account=cast.account,
        channel=Channel.objects.get(code="phone"),
        priority="high",
        subject="Drawdown schedule question",
        opened_by=cast.owner,
    )
    alert = alert_raise_manual(
        account=cast.account,
        user=cast.teammate,
        title="Off-taker paying late",
        description="Invoices 60 days overdue.",
        severity=Severity.HIGH,
    )
    pages = _main_pages(cast, service_request.pk, alert.pk)

    failures: list[str] = []
    sessions: dict[str, dict[str, str]] = {}
    for user in (cast.owner, cast.executive):
        cookies = sessions[user.username] = _form_login(server, user)
        answers = {path: fetch(server.base_url, path, cookies).status for path in pages}
        failures += [f"{user.username} {path}: {s}" for path, s in answers.items() if s >= 500]
        for must_answer in (reverse("home"), reverse("accounts:detail", args=[cast.account.pk])):
            assert answers[must_answer] == 200, (user.username, must_answer, answers)
    assert not failures, "\n".join(failures) + "\n" + server.log_tail()
    dashboard = fetch(server.base_url, reverse("dashboard:executive"), sessions["exec.chen"])
    assert dashboard.status == 200

    # Log out as a browser does: POST with the CSRF token of the page's logout form.
    old = sessions[cast.owner.username]
    home = fetch(server.base_url, reverse("home"), old)
    assert home.status == 200
    token = home.cookies[settings.CSRF_COOKIE_NAME]
    reply = fetch(
        server.base_url,
        reverse("logout"),
        {**old, settings.CSRF_COOKIE_NAME: token},
        {"csrfmiddlewaretoken": token},
    )
    assert reply.status == 302, (reply.status, server.log_tail())
    assert reply.location == reverse(settings.LOGOUT_REDIRECT_URL)
    assert not Session.objects.filter(session_key=old[settings.SESSION_COOKIE_NAME]).exists()

    # The old cookie is sent to the login page, and stays so.
    login = reverse(settings.LOGIN_URL)
    for path in (reverse("home"), reverse("accounts:detail", args=[cast.account.pk]), "/"):
        reply = fetch(server.base_url, path, old)
        assert reply.status == 302, (path, reply.status)
        assert reply.location.startswith(f"{login}?next="), (path, reply.location)
    # The executive's session is untouched by the RM's logout.
    assert fetch(server.base_url, reverse("home"), sessions["exec.chen"]).status == 200

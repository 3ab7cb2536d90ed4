"""`make bench`: build a volume book in its own PostgreSQL database and time pages over HTTP.

Steps: drop and recreate BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/kam_bench), migrate, `generate_volume`, start
gunicorn on a free port of 127.0.0.1, log in over real HTTP as the users a measurement
names, warm up, then time each measurement. Nothing is kept between requests (no page or
access cache): every page is computed afresh. Gunicorn runs with KAM_BENCH_SQL_TIMING=1, so
that kam.bench.SqlTimingMiddleware reports each request's SQL time and query count, measured
in the worker, in response headers. Results are printed and merged into
var/bench/latest.json (other keys are kept).

A measurement is a function registered with ``@measurement("app.name")`` that takes the
``Bench`` and returns the dict stored under its name; later issues add theirs the same way.

    .venv/bin/python tests/benchmarks/run.py                # build and measure everything
    .venv/bin/python tests/benchmarks/run.py --reuse        # keep the database as it is
    .venv/bin/python tests/benchmarks/run.py --only accounts.detail --requests 500
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "var" / "bench" / "latest.json"
GUNICORN_LOG = ROOT / "var" / "bench" / "gunicorn.log"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kam_bench"
# Measured as deployed (docker-compose.yml): Redis is the broker and the shared cache. The
# bench has a Redis database of its own, emptied at the start of every run.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SETTINGS = "kam.settings.dev"

# Volume users (see demo/accounts_volume.py); the password is the demo password.
RM_USERNAME = "vol.rm0001"
EXEC_USERNAME = "vol.exec"

Result = dict[str, Any]
MEASUREMENTS: dict[str, Callable[[Bench], Result]] = {}
# Extra `generate_volume` options that later issues' measurements need, one line each.
VOLUME_ARGS: list[str] = [
    "--service-requests=200000",  # sla.* (issue 5)
    "--interactions=1000000",  # interactions.timeline, reviews.reminders (issue 4)
    "--alerts=100000",  # dashboard.executive, home.rm (issue 7)
    "--snapshots",  # dashboard.executive: trends (issue 7); last, over everything generated
]


def measurement(name: str) -> Callable[[Callable[[Bench], Result]], Callable[[Bench], Result]]:
    """Register a measurement under the key it is stored as in latest.json."""

    def register(func: Callable[[Bench], Result]) -> Callable[[Bench], Result]:
        MEASUREMENTS[name] = func
        return func

    return register


# ---------------------------------------------------------------- the database


def django_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DJANGO_DEBUG="0",
        PYTHONUNBUFFERED="1",
        # kam.bench.SqlTimingMiddleware: SQL time and queries of each response in its headers.
        KAM_BENCH_SQL_TIMING="1",
    )
    return env


def recreate_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"Refusing to drop database {name!r}: set BENCH_DATABASE_URL.")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def empty_redis() -> None:
    """Start from an empty cache and queue: what an earlier run kept (dashboards, tasks)
    belonged to another build of the database."""
    import redis

    redis.Redis.from_url(os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)).flushdb()


def manage(database_url: str, *args: str) -> str:
    """Run a management command against the bench database; return its output."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=django_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed ({completed.returncode}).")
    return completed.stdout


def build(database_url: str, accounts: int) -> Result:
    print(f"Recreating {urllib.parse.urlsplit(database_url).path.lstrip('/')} ...", flush=True)
    recreate_database(database_url)
    manage(database_url, "migrate", "--noinput", "-v0")
    print(f"Generating {accounts} accounts ...", flush=True)
    started = time.perf_counter()
    output = manage(database_url, "generate_volume", f"--accounts={accounts}", *VOLUME_ARGS)
    seconds = time.perf_counter() - started
    print("  " + output.strip(), flush=True)
    # The accounts line of generate_volume (other generators print their own lines).
    match = re.search(r"Generated \d+ accounts .*? in ([\d.]+) s", output)
    inner = float(match.group(1)) if match else seconds
    return {"seconds": round(inner, 1), "items": accounts, "per_s": round(accounts / inner)}


def setup_django(database_url: str) -> None:
    os.environ.update(django_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, *, workers: int = 2) -> Iterator[str]:
    """A gunicorn serving the portal on 127.0.0.1; always stopped on the way out."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    GUNICORN_LOG.parent.mkdir(parents=True, exist_ok=True)
    with GUNICORN_LOG.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            [
                str(BIN / "gunicorn"),
                "kam.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                "--timeout=60",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=django_env(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(base_url, process)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_until_up(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {GUNICORN_LOG}.")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s; see {GUNICORN_LOG}.")


@dataclass
class Response:
    status: int
    body: bytes
    url: str
    headers: Message  # case-insensitive


def sql_figures(headers: Any) -> tuple[float, int]:
    """The SQL time (ms) and queries of one request, as kam.bench.SqlTimingMiddleware reports
    them in its response headers (a mapping with ``get``: urllib's or Django's)."""
    sql_ms, queries = headers.get("X-Bench-SQL-ms"), headers.get("X-Bench-Queries")
    if sql_ms is None or queries is None:
        raise SystemExit("No X-Bench-SQL-ms / X-Bench-Queries header: KAM_BENCH_SQL_TIMING unset?")
    return float(sql_ms), int(queries)


class HttpSession:
    """A browser-like client: cookies, CSRF token, form login."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")

    def get(self, path: str) -> Response:
        try:
            with self.opener.open(self.base_url + path, timeout=30) as response:
                return Response(
                    response.status, response.read(), response.geturl(), response.headers
                )
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read(), exc.geturl(), exc.headers)

    def login(self, username: str, password: str, code: Callable[[], str] | None = None) -> None:
        """Log in once, with the two-step code from ``code`` when the portal asks for one; a
        failure stops the run (django-axes locks out repeated failures)."""
        status = self.get("/login/").status
        token = self._cookie("csrftoken")
        if status != 200 or not token:
            raise SystemExit(f"GET /login/ gave {status} and no CSRF cookie.")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"{self.base_url}/login/", data=form, headers={"Referer": f"{self.base_url}/login/"}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                landed = urllib.parse.urlsplit(response.geturl()).path
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"Login as {username} failed: HTTP {exc.code}.") from exc
        if landed.startswith("/login"):
            raise SystemExit(f"Login as {username} was refused (wrong DEMO_PASSWORD?).")
        if landed.startswith("/mfa/"):
            self._two_step(username, landed, code)

    def _two_step(self, username: str, landed: str, code: Callable[[], str] | None) -> None:
        """The code step after the password (kam.mfa), as a person types their app's code."""
        if landed != "/mfa/verify/" or code is None:
            raise SystemExit(
                f"Login as {username} asks for two-step sign-in ({landed}) and the bench has no "
                "authenticator for them: rebuild the book (without --reuse)."
            )
        form = urllib.parse.urlencode(
            {"code": code(), "csrfmiddlewaretoken": self._cookie("csrftoken")}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"{self.base_url}/mfa/verify/",
            data=form,
            headers={"Referer": f"{self.base_url}/mfa/verify/"},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                landed = urllib.parse.urlsplit(response.geturl()).path
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"Two-step code of {username} failed: HTTP {exc.code}.") from exc
        if landed.startswith("/mfa/"):
            raise SystemExit(f"The two-step code of {username} was refused.")


def current_code(username: str) -> str:
    """The code the user's authenticator shows now, computed from their device in the bench
    database (the volume users have the demo authenticator, demo.mfa)."""
    from demo.mfa import totp_code_when_due
    from kam.mfa import mfa_authenticator
    from kam.models import User

    device = mfa_authenticator(User.objects.get(username=username))
    if device is None:
        raise SystemExit(f"{username} has no authenticator: rebuild the book (without --reuse).")
    return totp_code_when_due(device)


# ---------------------------------------------------------------- measuring


@dataclass
class Bench:
    base_url: str
    password: str
    requests: int
    warmup: int
    database_url: str = ""
    sessions: dict[str, HttpSession] = field(default_factory=dict)

    def http(self, username: str) -> HttpSession:
        if username not in self.sessions:
            session = HttpSession(self.base_url)
            session.login(username, self.password, code=lambda: current_code(username))
            self.sessions[username] = session
        return self.sessions[username]

    def count_queries(self, username: str, path: str) -> int:
        """SQL queries of one request made in this process with Django's test client, as
        kam.bench.SqlTimingMiddleware counts them (for settings overridden here)."""
        from django.test import Client
        from django_otp import DEVICE_ID_SESSION_KEY

        from kam.mfa import mfa_authenticator
        from kam.models import User

        client = Client(HTTP_HOST="127.0.0.1")
        user = User.objects.get(username=username)
        client.force_login(user)
        device = mfa_authenticator(user)
        if device is not None:
            # This session has passed the code step, as django_otp.login records it.
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} as {username} gave {response.status_code} in-process.")
        return sql_figures(response.headers)[1]

    def page(self, username: str, paths: Sequence[str]) -> Result:
        """``requests`` GETs cycling through ``paths``, after ``warmup`` untimed ones; nothing
        is kept between requests, so each is computed afresh. ``median_ms``, ``p95_ms``: wall
        clock time seen by this client; ``sql_ms``, ``queries``: median SQL time and queries
        per request, measured in the gunicorn worker (kam.bench); ``render_ratio``: median
        total / median SQL time; ``load1``: the 1-minute load average just before timing."""
        settle(self.database_url)
        session = self.http(username)
        for i in range(self.warmup):
            self._get(session, paths[i % len(paths)], username)
        load1 = os.getloadavg()[0]
        timings: list[float] = []
        sql_timings: list[float] = []
        query_counts: list[int] = []
        for i in range(self.requests):
            path = paths[i % len(paths)]
            started = time.perf_counter()
            response = self._get(session, path, username)
            timings.append((time.perf_counter() - started) * 1000)
            sql_ms, queries = sql_figures(response.headers)
            sql_timings.append(sql_ms)
            query_counts.append(queries)
        timings.sort()
        median_ms = statistics.median(timings)
        sql_median = statistics.median(sql_timings)
        return {
            "median_ms": round(median_ms, 1),
            "p95_ms": round(timings[math.ceil(0.95 * len(timings)) - 1], 1),
            "queries": statistics.median_low(query_counts),
            "n": len(timings),
            "sql_ms": round(sql_median, 1),
            "render_ratio": round(median_ms / sql_median, 2) if sql_median > 0 else None,
            "load1": round(load1, 2),
        }

    @staticmethod
    def _get(session: HttpSession, path: str, username: str) -> Response:
        response = session.get(path)
        if (
            response.status != 200
            or not response.body
            or urllib.parse.urlsplit(response.url).path.startswith("/login")
        ):
            raise SystemExit(f"GET {path} as {username} gave {response.status} ({response.url}).")
        return response


def settle(database_url: str) -> None:
    """VACUUM ANALYZE the bench database before a page is measured: the jobs measured before
    it rewrite thousands of rows in seconds (the SLA backlog, scores, reminders), which a
    running portal's autovacuum tidies up long before the next such burst; without it the
    planner sees stale statistics and indexes whose rows it must check on the heap."""
    import psycopg

    if not database_url:
        return
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def owned_account_paths(username: str) -> list[str]:
    from accounts.models import Account

    pks = (
        Account.objects.filter(owner__username=username).order_by("pk").values_list("pk", flat=True)
    )
    return [f"/accounts/{pk}/" for pk in pks]


@measurement("accounts.list_rm")
def accounts_list_rm(bench: Bench) -> Result:
    """The account list of an RM with 200 accounts (and those of their account teams)."""
    return bench.page(RM_USERNAME, ["/accounts/"])


@measurement("accounts.list_exec")
def accounts_list_exec(bench: Bench) -> Result:
    """The account list of an executive, who sees every account."""
    return bench.page(EXEC_USERNAME, ["/accounts/"])


@measurement("accounts.detail")
def accounts_detail(bench: Bench) -> Result:
    """Account pages of the RM's own accounts, in turn."""
    return bench.page(RM_USERNAME, owned_account_paths(RM_USERNAME))


# ---------------------------------------------------------------- client groups (issue 15)

GROUP_MEMBERS = 50  # the group size the issue sets the page's target on


def _fifty_account_group_path(username: str) -> str:
    """The page of a group of 50 accounts with one in the user's book: the volume book's
    largest such group, or (an older book without groups) one made of 50 accounts in no group,
    the user's first own among them, each owned by the first."""
    from django.db.models import Count

    from accounts.models import Account
    from groups.models import ClientGroup, GroupMembership

    mine = GroupMembership.objects.filter(account__owner__username=username).values("group_id")
    found = (
        ClientGroup.objects.filter(pk__in=mine)
        .annotate(n=Count("memberships"))
        .filter(n__gte=GROUP_MEMBERS)
        .order_by("n", "pk")
        .first()
    )
    if found is not None:
        return f"/groups/{found.pk}/"
    free = Account.objects.filter(group_membership__isnull=True).order_by("pk")
    top = free.filter(owner__username=username).first()
    if top is None:
        raise SystemExit(f"{username} owns no account outside a group for groups.detail.")
    others = list(free.exclude(pk=top.pk)[: GROUP_MEMBERS - 1])
    made = ClientGroup.objects.create(name_en="Bench Group of 50", parent=top)
    GroupMembership.objects.create(group=made, account=top)
    GroupMembership.objects.bulk_create(
        GroupMembership(group=made, account=a, parent=top, ownership_pct=100) for a in others
    )
    return f"/groups/{made.pk}/"


@measurement("groups.detail")
def groups_detail(bench: Bench) -> Result:
    """The page of a 50-account client group (tree, facilities, exposure, connected parties,
    concentration) as an RM with one of its accounts."""
    return bench.page(RM_USERNAME, [_fifty_account_group_path(RM_USERNAME)])


# ---------------------------------------------------------------- service quality (issue 5)


@measurement("sla.report")
def sla_report(bench: Bench) -> Result:
    """The service report (this quarter's requests, all accounts) as an executive."""
    return bench.page(EXEC_USERNAME, ["/service/reports/"])


@contextmanager
def celery_worker(database_url: str, *, concurrency: int = 2) -> Iterator[None]:
    """A real Celery worker on the configured broker and the bench database; always stopped."""
    from django.utils import timezone

    from kam.models import Heartbeat
    from kam.tasks import heartbeat

    log_path = ROOT / "var" / "bench" / "celery.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own venv's celery
            [
                str(BIN / "celery"),
                "-A",
                "kam",
                "worker",
                "-l",
                "warning",
                f"--concurrency={concurrency}",
                "--hostname=kam-bench@%h",
            ],
            cwd=ROOT,
            env=django_env(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Ready when it has run a task (the file-system broker has no remote control).
            asked = timezone.now()
            heartbeat.delay("bench-worker")
            deadline = time.monotonic() + 60
            while not Heartbeat.objects.filter(name="bench-worker", last_seen__gte=asked).exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"The Celery worker did not start; see {log_path}.")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _sla_backlog_reset() -> None:
    """Make the breach scan's work repeatable on a reused book: forget the breaches of open
    requests whose deadline passed in the last three days (the backlog `generate_volume`
    leaves, see demo/service_volume.py)."""
    import datetime as dt

    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from interactions.models import ServiceRequest, ServiceRequestEvent, SlaBreach
    from kam.models import Notification

    since = timezone.now() - dt.timedelta(days=3)
    response = Q(responded_at__isnull=True, first_response_due__gte=since)
    resolution = Q(state__in=["new", "responded"], resolution_due__gte=since)
    with transaction.atomic():
        for kind, condition, flag in (
            ("response", response, "response_breached_at"),
            ("resolution", resolution, "resolution_breached_at"),
        ):
            ids = list(
                ServiceRequest.objects.filter(condition, **{f"{flag}__isnull": False}).values_list(
                    "pk", flat=True
                )
            )
            SlaBreach.objects.filter(request_id__in=ids, kind=kind).delete()
            ServiceRequestEvent.objects.filter(request_id__in=ids, action="breached").delete()
            Notification.objects.filter(key__in=[f"sla-breach:{pk}:{kind}" for pk in ids]).delete()
            ServiceRequest.objects.filter(pk__in=ids).update(**{flag: None})


@measurement("sla.breach_scan")
def sla_breach_scan(bench: Bench) -> Result:
    """The beat job as a real worker runs it: the dispatcher's polling queries, then the chunk
    tasks that record the breaches (three days' backlog) and notify; timed until nothing is left
    to record. ``steady_seconds``: a later run that finds nothing (the polling queries)."""
    from interactions.models import ServiceRequest
    from interactions.services.service import sla_breach_candidates
    from interactions.tasks.service import sla_breach_scan as scan_task

    _sla_backlog_reset()
    pending = sum(len(ids) for _kind, ids in sla_breach_candidates())
    total = ServiceRequest.objects.count()
    with celery_worker(bench.database_url):
        started = time.perf_counter()
        scan_task.delay()
        deadline = time.monotonic() + 300
        while sla_breach_candidates():
            if time.monotonic() > deadline:
                raise SystemExit("The breach scan did not finish within 5 minutes.")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    steady = time.perf_counter()
    assert not sla_breach_candidates()
    steady_seconds = time.perf_counter() - steady
    return {
        "seconds": round(seconds, 2),
        "items": total,
        "per_s": round(total / seconds),
        "breaches": pending,
        "steady_seconds": round(steady_seconds, 3),
    }


# ---------------------------------------------------------------- interactions and reviews (issue 4)


@measurement("interactions.timeline")
def interactions_timeline(bench: Bench) -> Result:
    """The relationship timeline (first page, cadence, contact coverage) of the RM's own
    accounts, in turn; about a hundred interactions each in a book of a million."""
    from accounts.models import Account

    pks = (
        Account.objects.filter(owner__username=RM_USERNAME)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return bench.page(RM_USERNAME, [f"/accounts/{pk}/interactions/" for pk in pks])


def _reminders_reset(quarter: Any, stage: str) -> None:
    """Forget the reminders of (quarter, stage) so that the run really sends them."""
    from interactions.models import ReviewReminder
    from kam.models import Notification

    ReviewReminder.objects.filter(year=quarter.year, quarter=quarter.quarter, stage=stage).delete()
    Notification.objects.filter(
        key__startswith="review-reminder:", key__endswith=f":{quarter.slug}:{stage}"
    ).delete()


@measurement("reviews.reminders")
def reviews_reminders(bench: Bench) -> Result:
    """The daily reminder job as a real worker runs it, over every account: the dispatcher's
    set-based listing, then the chunk tasks that claim, notify (in-app and e-mail) and mark
    each reminder sent; timed until the last one is sent. Run for a day 10 days before the end
    of the next quarter, when no review is scheduled yet: every required account is reminded
    (the worst case). ``steady_seconds``: a re-run the same day, which finds nothing to send."""
    import datetime as dt

    from interactions.models import ReviewReminder
    from interactions.selectors.reviews import reminder_targets
    from interactions.tasks.reviews import review_reminders_dispatch
    from kam.quarters import Quarter

    quarter = Quarter.current().next()
    day = quarter.last_day - dt.timedelta(days=10)
    stage = "d14"
    _reminders_reset(quarter, stage)
    expected = len(reminder_targets(quarter=quarter, stage=stage))
    from accounts.models import Account

    total = Account.objects.count()
    sent = ReviewReminder.objects.filter(
        year=quarter.year, quarter=quarter.quarter, stage=stage, sent_at__isnull=False
    )
    with celery_worker(bench.database_url):
        started = time.perf_counter()
        review_reminders_dispatch.delay(day.isoformat())
        deadline = time.monotonic() + 300
        while sent.count() < expected:
            if time.monotonic() > deadline:
                raise SystemExit("The reminder job did not finish within 5 minutes.")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        steady = time.perf_counter()
        review_reminders_dispatch.apply(args=(day.isoformat(),))  # in-process: lists nothing
        steady_seconds = time.perf_counter() - steady
    return {
        "seconds": round(seconds, 2),
        "items": total,
        "per_s": round(total / seconds),
        "reminders": expected,
        "steady_seconds": round(steady_seconds, 3),
    }


# ---------------------------------------------------------------- tiering (issue 3)


@measurement("tiering.recompute")
def tiering_recompute(bench: Bench) -> Result:
    """A full recompute of every account as the nightly job runs it, by one real Celery worker
    process: the dispatcher splits the book into chunks, the chunk tasks score them (set-based
    reads, bulk writes, row locks) and write the tier history; timed from the dispatch until the
    run's last chunk is done. ``queries_per_chunk``: the SQL of one chunk task, counted in this
    process on the same database (the published model is read once per process, before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.choices import RecomputeTrigger
    from accounts.models import Account, TierChange, TieringChunk, TieringRun
    from accounts.tiering.services import (
        chunk_size,
        scoring_model_published,
        scoring_model_spec,
        tiering_chunk_process,
        tiering_run_start,
    )
    from accounts.tiering.tasks import tiering_recompute_all
    from demo.tiering import volume_tiering_setup

    volume_tiering_setup()  # the published model (generate_volume installs it too)
    total = Account.objects.count()
    history_before = TierChange.objects.count()
    with celery_worker(bench.database_url, concurrency=1):
        asked = timezone.now()
        started = time.perf_counter()
        tiering_recompute_all.delay(RecomputeTrigger.MANUAL)
        deadline = time.monotonic() + 300
        while True:
            run = TieringRun.objects.filter(started_at__gte=asked).order_by("pk").first()
            if run is not None and run.finished_at is not None:
                break
            if time.monotonic() > deadline:
                raise SystemExit("The tiering recompute did not finish within 5 minutes.")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    changes = TierChange.objects.count() - history_before

    published = scoring_model_published()
    assert published is not None, "volume_tiering_setup() publishes a scoring model"
    scoring_model_spec(scoring_model=published)
    probe, chunk_ids = tiering_run_start(trigger=RecomputeTrigger.MANUAL)
    assert probe is not None, "a published model always starts a run"
    with CaptureQueriesContext(connection) as captured:
        tiering_chunk_process(chunk_id=chunk_ids[0])
    TieringRun.objects.filter(pk=probe.pk).delete()
    return {
        "seconds": round(seconds, 2),
        "items": total,
        "per_s": round(total / seconds),
        "queries_per_chunk": len(captured.captured_queries),
        "chunks": run.chunk_count,
        "chunk_size": chunk_size(),
        "tier_changes": changes,
        "accounts_scored": sum(
            TieringChunk.objects.filter(run=run).values_list("accounts", flat=True)
        ),
    }


# ---------------------------------------------------------------- dashboards (issue 7)
# Registered before the risk measurements, which grow the book to 100,000 accounts and clear
# the alerts: the dashboards are measured on the 10,000-account book the issue names.


def _dashboard_live(username: str, samples: int = 7) -> dict[str, Any]:
    """The dashboard's figures computed without the cache, in this process: the median time
    of their aggregates (no HTTP, no template)."""
    from dashboard.scope import Scope
    from dashboard.selectors import executive_dashboard
    from kam.models import User
    from kam.quarters import Quarter

    user = User.objects.get(username=username)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        executive_dashboard(Scope(user=user, quarter=Quarter.current()), fresh=True)
        timings.append((time.perf_counter() - started) * 1000)
    return {"live_figures_ms": round(statistics.median(timings), 1)}


@measurement("dashboard.executive")
def dashboard_executive(bench: Bench) -> Result:
    """The executive dashboard of an executive (every account): figures aggregated from
    10,000 accounts, a million interactions, 200,000 requests and 100,000 alerts (trends from
    the quarterly snapshots), kept DASHBOARD_CACHE_SECONDS for readers of the same reach and
    filters. ``queries_live`` (one request, in this process) and ``live_figures_ms`` (the
    aggregates alone): without that cache (DASHBOARD_CACHE_SECONDS=0)."""
    from django.test.utils import override_settings

    result = bench.page(EXEC_USERNAME, ["/dashboard/"])
    with override_settings(DASHBOARD_CACHE_SECONDS=0):
        result["queries_live"] = bench.count_queries(EXEC_USERNAME, "/dashboard/")
    result.update(_dashboard_live(EXEC_USERNAME))
    return result


@measurement("dashboard.executive_sliced")
def dashboard_executive_sliced(bench: Bench) -> Result:
    """The same page with the filters in turn: a region, a tier, a project sector."""
    return bench.page(
        EXEC_USERNAME,
        ["/dashboard/?region=cn_east", "/dashboard/?tier=strategic", "/dashboard/?sector=power"],
    )


@measurement("home.rm")
def home_rm(bench: Bench) -> Result:
    """The RM home of an RM with 200 accounts: tasks, requests with clocks, alerts, reviews,
    notifications and the accounts most at risk."""
    return bench.page(RM_USERNAME, ["/"])


# ---------------------------------------------------------------- risk early warning (issue 6)

RISK_ACCOUNTS = 100_000  # the book the issue sets the scan's target on


def _risk_book(bench: Bench) -> None:
    """Top the book up to 100,000 accounts (without contacts: the scan does not read them),
    with the risk data (rules, covenants and figures, ESG events, earlier ratings)."""
    from accounts.models import Account
    from demo.risk_volume import generate_risk_volume

    missing = RISK_ACCOUNTS - Account.objects.count()
    if missing > 0:
        print(f"  adding {missing} accounts for the risk scan ...", flush=True)
        output = manage(
            bench.database_url,
            "generate_volume",
            f"--accounts={missing}",
            "--contacts-per-account=0",
            "--risk",
        )
        print("  " + output.strip().replace("\n", "\n  "), flush=True)
    else:
        generate_risk_volume()  # covenants for any projects still without (additive)


def _risk_reset() -> None:
    """Forget the alerts, so that every timed scan raises them all again (the heavy case)."""
    from django.db import connection

    from kam.models import Notification
    from risk.models import Alert, ScanRun

    # TRUNCATE, not a delete: alerts and their actions are in the change log, so Django would
    # load and signal each of 100,000 alerts, and the change log would link a deletion entry
    # for each — setting the stage this way took minutes. CASCADE empties their events,
    # actions and escalations with them.
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(Alert._meta.db_table)} CASCADE")
    Notification.objects.filter(key__startswith="risk-alert-").delete()
    ScanRun.objects.all().delete()


def _risk_scan_with_worker(bench: Bench, *, concurrency: int) -> Result:
    """One full scan of every enabled rule by a real Celery worker with ``concurrency``
    processes, timed from the dispatch until the run's last chunk is counted."""
    from accounts.models import Account
    from risk.choices import ScanStatus, ScanTrigger
    from risk.models import ScanRun
    from risk.tasks import scan_dispatch

    _risk_reset()
    total = Account.objects.count()
    with celery_worker(bench.database_url, concurrency=concurrency):
        run = ScanRun.objects.create(trigger=ScanTrigger.MANUAL)
        started = time.perf_counter()
        scan_dispatch.delay(run.pk)
        deadline = time.monotonic() + 600
        while True:
            run.refresh_from_db()
            if run.status == ScanStatus.FINISHED:
                break
            if time.monotonic() > deadline:
                raise SystemExit("The risk scan did not finish within 10 minutes.")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    if run.errors:
        raise SystemExit(f"The risk scan recorded {run.errors} errors; see ScanError rows.")
    return {
        "seconds": round(seconds, 2),
        "items": total,
        "per_s": round(total / seconds),
        "alerts_raised": run.raised,
        "chunks": run.chunks_total,
        "chunk_size": run.chunk_size,
    }


@measurement("risk.scan")
def risk_scan(bench: Bench) -> Result:
    """A full early-warning scan (every enabled rule over 100,000 accounts) by one real worker
    process, starting from no alerts: every alert is raised, notified and given its history.
    ``steady_seconds``: the next hourly run, which finds the same conditions (refresh only).
    ``queries_per_chunk``: the SQL of one chunk task, counted in this process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from risk.choices import ScanStatus, ScanTrigger
    from risk.models import ScanRun
    from risk.services import scan_chunk_process, scan_dispatch, scan_run_inline

    _risk_book(bench)
    scan_run_inline(trigger=ScanTrigger.MANUAL)  # first observations of every rating, once
    result = _risk_scan_with_worker(bench, concurrency=1)
    with celery_worker(bench.database_url, concurrency=1):
        from risk.tasks import scan_dispatch as dispatch_task

        run = ScanRun.objects.create(trigger=ScanTrigger.MANUAL)
        started = time.perf_counter()
        dispatch_task.delay(run.pk)
        while ScanRun.objects.get(pk=run.pk).status != ScanStatus.FINISHED:
            time.sleep(0.05)
        result["steady_seconds"] = round(time.perf_counter() - started, 2)
    probe = scan_dispatch(run_id=ScanRun.objects.create(trigger=ScanTrigger.MANUAL).pk, queue=False)
    with CaptureQueriesContext(connection) as captured:
        scan_chunk_process(chunk_id=probe.chunks.order_by("index").values_list("pk", flat=True)[0])
    result["queries_per_chunk"] = len(captured.captured_queries)
    probe.delete()
    return result


@measurement("risk.scan_2workers")
def risk_scan_2workers(bench: Bench) -> Result:
    """The same full scan from no alerts, shared by two worker processes."""
    _risk_book(bench)
    return _risk_scan_with_worker(bench, concurrency=2)


# ---------------------------------------------------------------- audit (issue 14)

AUDIT_ENTRIES = 1_000_000  # the change log the issue sets the verification's target on


@measurement("audit.verify")
def audit_verify(bench: Bench) -> Result:
    """`manage.py audit_verify` over a change log of 1,000,000 entries with their hash chain
    (topped up by the volume generator, ``demo.audit_volume``, whose chain is computed by the
    code that verifies it), as an operator runs it: a process of its own, timed from start to
    exit.
    ``inner_seconds``: the walk alone, as the command reports it."""
    from auditlog.models import LogEntry

    from demo.audit_volume import generate_audit_entries

    missing = AUDIT_ENTRIES - LogEntry.objects.count()
    if missing > 0:
        print(f"  adding {missing} change-log entries ...", flush=True)
        added = generate_audit_entries(count=missing)
        print(
            f"  {added.entries} entries, {added.linked} linked in {added.seconds:.1f} s", flush=True
        )
    total = LogEntry.objects.count()
    # Once untimed: the database's cache as a nightly run finds it.
    manage(bench.database_url, "audit_verify")
    started = time.perf_counter()
    output = manage(bench.database_url, "audit_verify")
    seconds = time.perf_counter() - started
    if not output.startswith("Intact"):
        raise SystemExit(f"audit_verify did not find the chain intact: {output}")
    match = re.search(r"Intact: (\d+) entries verified in ([\d.]+) s", output)
    checked = int(match.group(1)) if match else total
    return {
        "seconds": round(seconds, 2),
        "items": checked,
        "per_s": round(checked / seconds),
        "inner_seconds": float(match.group(2)) if match else None,
    }


# ---------------------------------------------------------------- results


def machine_speed() -> float:
    """Microseconds for ``sum(range(1000))``, best of five: the same page's figures move with
    the host's speed (seen here: 14 to 26 µs on one machine in one afternoon), so every run
    records it, before and after measuring, to compare runs fairly."""
    import timeit

    timer = timeit.Timer("sum(range(1000))")
    loops = 2000
    return round(min(timer.repeat(repeat=5, number=loops)) / loops * 1e6, 1)


def merge_results(new: dict[str, Result]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    existing: dict[str, Result] = {}
    if RESULTS.exists():
        try:
            existing = json.loads(RESULTS.read_text())
        except json.JSONDecodeError:
            existing = {}
    existing.update(new)
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


def print_table(results: dict[str, Result]) -> None:
    pages = {k: v for k, v in results.items() if "median_ms" in v}
    jobs = {k: v for k, v in results.items() if "seconds" in v}
    if pages:
        print(
            f"\n{'page':<27}{'median ms':>10}{'p95 ms':>8}{'sql ms':>8}{'total/sql':>10}"
            f"{'queries':>8}{'n':>5}{'load1':>7}"
        )
        for name, r in pages.items():
            ratio = r.get("render_ratio")
            print(
                f"{name:<27}{r['median_ms']:>10}{r['p95_ms']:>8}{r.get('sql_ms', ''):>8}"
                f"{'' if ratio is None else ratio:>10}{r['queries']:>8}{r['n']:>5}"
                f"{r.get('load1', ''):>7}"
            )
    if jobs:
        print(f"\n{'job':<24}{'seconds':>11}{'items':>10}{'per s':>9}")
        for name, r in jobs.items():
            print(f"{name:<24}{r['seconds']:>11}{r['items']:>10}{r['per_s']:>9}")
    machine = results.get("bench.machine")
    if machine:
        print(
            f"\nmachine: sum(range(1000)) {machine['sum_range_1000_us_before']} µs before, "
            f"{machine['sum_range_1000_us_after']} µs after"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument(
        "--warmup", type=int, default=30, help="untimed requests per page first (the process)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep the existing bench database")
    parser.add_argument(
        "--only", action="append", choices=sorted(MEASUREMENTS), help="run only these"
    )
    args = parser.parse_args(argv)

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    empty_redis()
    results: dict[str, Result] = {}
    if not args.reuse:
        results["accounts.generate_volume"] = build(database_url, args.accounts)
    setup_django(database_url)
    if args.reuse:
        from accounts.models import Account

        held = Account.objects.count()
        if held != args.accounts:
            # risk.scan grows the book to 100,000 accounts for its own measurement: pages
            # timed on that book are not the figures of the --accounts book.
            print(f"WARNING: the reused book holds {held} accounts, not {args.accounts}.")
    from demo.accounts import demo_password

    names = args.only or list(MEASUREMENTS)
    speed_before = machine_speed()
    with gunicorn(database_url, workers=args.workers) as base_url:
        bench = Bench(
            base_url=base_url,
            password=demo_password(),
            requests=args.requests,
            warmup=args.warmup,
            database_url=database_url,
        )
        for name in names:
            print(f"Measuring {name} ...", flush=True)
            results[name] = MEASUREMENTS[name](bench)
    results["bench.machine"] = {
        "sum_range_1000_us_before": speed_before,
        "sum_range_1000_us_after": machine_speed(),
        "measured": sorted(names),
    }
    print_table(results)
    merge_results(results)
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""A large synthetic book for benchmarks: `manage.py generate_volume`.

Rows are written with ``bulk_create`` in batches. ``bulk_create`` runs each field's
``pre_save``, so contact phones and e-mails are encrypted and their blind indexes
computed exactly as on ``save()``; it sends no signals, so django-auditlog records
nothing for volume data (which is what a benchmark book wants).

Runs are additive: account number ``i`` gets a credit code derived from ``i``
("MA" organisation codes, never used by the demo book) and the next run continues after
the highest number already in the database, so runs never collide, whatever the seed.
Accounts go to volume RMs in blocks (200 each by default), ten RMs to a team with its
own lead; every username starts with ``vol.``.

Project finance at volume: each project has parties (its lead account in the role of its type,
a borrower, then contractors, lenders and off-takers from the same chunk of accounts) and
facilities owed by the borrower (never by a contractor, off-taker or co-lender); one group per
``accounts_per_group`` accounts (2 to 50 consecutive accounts, so a group stays with its RM's
team), and a few connected parties. Everything is made chunk by chunk: memory stays bounded.

The benchmark's group: the first group of a run has ``BENCH_GROUP_SIZE`` (50) accounts when
the first chunk has room; its top (``ClientGroup.parent``) is the run's first account. For the
book's first run that is volume account number 0 (``volume_uscc(0)``): ``bench_group()``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.choices import (
    OBLIGOR_ROLES,
    PARTY_ROLE_OF_ACCOUNT_TYPE,
    AccountStatus,
    AccountType,
    Attitude,
    ContactChannel,
    CreditRating,
    Currency,
    EsgRating,
    FacilityKind,
    Industry,
    LoanClass,
    MembershipRole,
    PartyRole,
    ProjectStage,
    Region,
    Tier,
)
from accounts.models import (
    Account,
    AccountMembership,
    Contact,
    Facility,
    FacilityClassificationChange,
    Project,
    ProjectParty,
)
from demo.accounts import (
    CHINA_REGIONS,
    DIVISIONS,
    GIVEN_NAMES,
    INDUSTRY_SECTORS,
    MOBILE_PREFIXES,
    SURNAMES,
    TITLES_ZH,
    build_project,
    make_uscc,
)
from demo.finance import money
from demo.mfa import demo_mfa_devices_ensure
from demo.tiering import volume_inputs
from groups.models import ClientGroup, ConnectedParty, ConnectionReason, GroupMembership
from kam.models import Team, User
from kam.roles import Role

PREFIX = "vol."
EXEC_USERNAME = f"{PREFIX}exec"
RMS_PER_TEAM = 10
ACCOUNTS_PER_RM = 200

# Volume organisation codes are "MA" + six characters of the USCC alphabet (which is in
# ASCII order, so the largest code is the largest number).
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_BODY_DIGITS = 6
_VOLUME_USCC_REGEX = r"^91[0-9]{6}MA"
_DIVISION_LIST = tuple(code for codes in DIVISIONS.values() for code in codes)


def rm_username(number: int) -> str:
    return f"{PREFIX}rm{number:04d}"


def lead_username(number: int) -> str:
    return f"{PREFIX}lead{number:03d}"


def team_name(number: int) -> str:
    return f"Volume team {number:03d}"


def volume_org_body(index: int) -> str:
    digits = []
    for _ in range(_BODY_DIGITS):
        index, rest = divmod(index, len(_ALPHABET))
        digits.append(_ALPHABET[rest])
    if index:
        raise ValueError("volume account number out of range")
    return "MA" + "".join(reversed(digits))


def volume_uscc(index: int) -> str:
    """The credit code of volume account number ``index``: unique per number."""
    # Valid by construction (the tests check it); validating each one costs seconds at volume.
    return make_uscc(
        division=_DIVISION_LIST[index % len(_DIVISION_LIST)],
        org_body=volume_org_body(index),
        check=False,
    )


def next_volume_index() -> int:
    """One past the highest volume account number in the database (0 when there is none)."""
    top = Account.objects.filter(uscc__regex=_VOLUME_USCC_REGEX).aggregate(
        top=Max(Substr("uscc", 11, _BODY_DIGITS))
    )["top"]
    if not top:
        return 0
    value = 0
    for char in top:
        value = value * len(_ALPHABET) + _ALPHABET.index(char)
    return value + 1


# ---------------------------------------------------------------- names

CITIES = (
    ("北京", "Beijing"), ("上海", "Shanghai"), ("广州", "Guangzhou"), ("深圳", "Shenzhen"),
    ("成都", "Chengdu"), ("重庆", "Chongqing"), ("武汉", "Wuhan"), ("西安", "Xi'an"),
    ("南京", "Nanjing"), ("杭州", "Hangzhou"), ("天津", "Tianjin"), ("郑州", "Zhengzhou"),
    ("长沙", "Changsha"), ("济南", "Jinan"), ("沈阳", "Shenyang"), ("昆明", "Kunming"),
    ("兰州", "Lanzhou"), ("乌鲁木齐", "Urumqi"), ("福州", "Fuzhou"), ("合肥", "Hefei"),
)  # fmt: skip
BRANDS = (
    ("华运", "Huayun"), ("中汇", "Zhonghui"), ("国泰", "Guotai"), ("恒通", "Hengtong"),
    ("瑞丰", "Ruifeng"), ("远景", "Yuanjing"), ("鼎盛", "Dingsheng"), ("宏达", "Hongda"),
    ("联合", "Lianhe"), ("长城", "Changcheng"), ("东方", "Dongfang"), ("新世纪", "Xinshiji"),
    ("同创", "Tongchuang"), ("汇通", "Huitong"), ("金桥", "Jinqiao"), ("中泰", "Zhongtai"),
    ("海纳", "Haina"), ("华晟", "Huasheng"), ("京泰", "Jingtai"), ("安澜", "Anlan"),
)  # fmt: skip
INDUSTRY_WORDS: dict[str, tuple[str, str]] = {
    Industry.POWER: ("电力投资", "Power Investment"),
    Industry.RENEWABLES: ("新能源", "New Energy"),
    Industry.OIL_GAS: ("油气", "Oil & Gas"),
    Industry.TRANSPORT: ("交通投资", "Transport Investment"),
    Industry.WATER: ("水务", "Water"),
    Industry.SOCIAL: ("城市服务", "Urban Services"),
    Industry.MINING: ("矿业", "Mining"),
    Industry.TELECOM: ("数字科技", "Digital Technology"),
    Industry.CONSTRUCTION: ("建设工程", "Engineering & Construction"),
    Industry.FINANCE: ("融资租赁", "Financial Leasing"),
    Industry.INDUSTRY: ("实业", "Industrial"),
    Industry.REAL_ESTATE: ("城市发展", "Urban Development"),
}

TIER_WEIGHTS = ((Tier.STRATEGIC, 4), (Tier.KEY, 12), (Tier.CORE, 30), (Tier.STANDARD, 54))
STATUS_WEIGHTS = (
    (AccountStatus.ACTIVE, 70),
    (AccountStatus.PROSPECT, 15),
    (AccountStatus.DORMANT, 10),
    (AccountStatus.EXITED, 5),
)
CHINA_REGION_LIST = tuple(sorted(CHINA_REGIONS))
OVERSEAS = (Region.SOUTHEAST_ASIA, Region.MIDDLE_EAST, Region.AFRICA, Region.CENTRAL_ASIA)


# Choice lists read once: ``TextChoices.values`` builds a new list on every access.
INDUSTRIES = tuple(Industry.values)
ACCOUNT_TYPES = tuple(AccountType.values)
CREDIT_RATINGS = tuple(CreditRating.values[:12])  # AAA to BB-: a book in good standing
ESG_RATINGS = tuple(EsgRating.values)
ATTITUDES = tuple(Attitude.values)
CHANNELS = tuple(ContactChannel.values)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _w in pairs], [w for _v, w in pairs])[0]


# ---------------------------------------------------------------- users


@dataclass(slots=True)
class VolumeResult:
    accounts: int = 0
    contacts: int = 0
    projects: int = 0
    memberships: int = 0
    users: int = 0
    teams: int = 0
    parties: int = 0
    facilities: int = 0
    classification_changes: int = 0
    groups: int = 0
    group_members: int = 0
    connections: int = 0
    first_index: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return (
            self.accounts
            + self.contacts
            + self.projects
            + self.memberships
            + self.users
            + self.parties
            + self.facilities
            + self.classification_changes
            + self.groups
            + self.group_members
            + self.connections
        )


def _ensure_volume_users(
    *, rm_count: int, password: str, result: VolumeResult
) -> tuple[dict[int, User], dict[int, Team]]:
    """RMs 1..rm_count, their teams and leads, and the executive; created when missing."""
    team_count = math.ceil(rm_count / RMS_PER_TEAM)
    wanted_teams = {n: team_name(n) for n in range(1, team_count + 1)}
    existing_teams = {t.name: t for t in Team.objects.filter(name__in=wanted_teams.values())}
    new_teams = [Team(name=name) for name in wanted_teams.values() if name not in existing_teams]
    Team.objects.bulk_create(new_teams)
    result.teams += len(new_teams)
    teams_by_name = {t.name: t for t in Team.objects.filter(name__in=wanted_teams.values())}
    teams = {n: teams_by_name[name] for n, name in wanted_teams.items()}

    wanted: dict[str, tuple[str, Team | None]] = {EXEC_USERNAME: (Role.EXECUTIVE, None)}
    for n in range(1, team_count + 1):
        wanted[lead_username(n)] = (Role.TEAM_LEAD, teams[n])
    for n in range(1, rm_count + 1):
        wanted[rm_username(n)] = (Role.RM, teams[(n - 1) // RMS_PER_TEAM + 1])

    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    missing = [name for name in wanted if name not in existing]
    if missing:
        # One slow hash, shared by every volume user.
        password_hash = make_password(password)
        User.objects.bulk_create(
            [
                User(
                    username=name,
                    password=password_hash,
                    first_name=name.removeprefix(PREFIX),
                    last_name="Volume",
                    email=f"{name}@volume.example",
                    team=wanted[name][1],
                )
                for name in missing
            ],
            batch_size=1000,
        )
        result.users += len(missing)
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [
            Membership(user_id=users[name].pk, group_id=groups[role].pk)
            for name, (role, _team) in wanted.items()
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # The executive signs in with the demo authenticator (demo.mfa), as the bench does.
    demo_mfa_devices_ensure(users[name] for name in missing)
    for n, team in teams.items():
        if team.lead_id is None:
            team.lead = users[lead_username(n)]
            team.save(update_fields=["lead"])
    rms = {n: users[rm_username(n)] for n in range(1, rm_count + 1)}
    return rms, teams


# ---------------------------------------------------------------- rows


def _account(rng: random.Random, index: int, owner: User) -> Account:
    industry = rng.choice(INDUSTRIES)
    city_zh, city_en = rng.choice(CITIES)
    brand_zh, brand_en = rng.choice(BRANDS)
    word_zh, word_en = INDUSTRY_WORDS[industry]
    tier = _weighted(rng, TIER_WEIGHTS)
    status = _weighted(rng, STATUS_WEIGHTS)
    return Account(
        legal_name_zh=f"{city_zh}{brand_zh}{word_zh}有限公司",
        legal_name_en=f"{city_en} {brand_en} {word_en} Co., Ltd. {index:06d}",
        uscc=volume_uscc(index),
        account_type=rng.choice(ACCOUNT_TYPES),
        industry=industry,
        region=rng.choice(CHINA_REGION_LIST),
        status=status,
        tier=tier,
        owner=owner,
        team_id=owner.team_id,
        credit_rating=rng.choice(CREDIT_RATINGS),
        esg_rating=rng.choice(ESG_RATINGS),
        # bulk_create runs no clean(): stamp the exit as Account.stamp_exit does.
        exited_at=timezone.now() if status == AccountStatus.EXITED else None,
        **volume_inputs(index, tier),  # scoring inputs (tiering)
    )


def _contacts(rng: random.Random, account: Account, count: int) -> list[Contact]:
    contacts = []
    names: set[str] = set()
    for position in range(count):
        surname, surname_py = rng.choice(SURNAMES)
        given, given_py = rng.choice(GIVEN_NAMES)
        name = surname + given
        if name in names:
            name = f"{name}{position + 1}"  # (account, name) stays unique
        names.add(name)
        title, seniority, influence = TITLES_ZH[min(position, len(TITLES_ZH) - 1)]
        contacts.append(
            Contact(
                account=account,
                name=name,
                title=title,
                seniority=seniority,
                influence=influence,
                attitude=rng.choice(ATTITUDES),
                channel_preferences=list(rng.sample(CHANNELS, 2)),
                phone=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                email=f"{given_py}.{surname_py}{position}@a{account.uscc}.example.com".lower(),
                is_primary=position == 1,
            )
        )
    return contacts


def _projects(
    rng: random.Random,
    account: Account,
    count: int,
    today: date,
    financing: list[tuple[Decimal, Decimal]],
) -> list[Project]:
    """The account's projects; their planned commitment and outstanding go to ``financing``."""
    projects = []
    taken: set[str] = set()
    for _ in range(count):
        region = account.region if rng.random() < 0.85 else rng.choice(OVERSEAS)
        spec = build_project(
            rng=rng,
            sector=rng.choice(INDUSTRY_SECTORS[account.industry]),
            region=region,
            currency=Currency.CNY if region in CHINA_REGIONS else Currency.USD,
            today=today,
            tier=account.tier,
            taken=taken,
        )
        projects.append(
            Project(
                account=account,
                name=spec.name,
                sector=spec.sector,
                region=spec.region,
                currency=spec.currency,
                total_cost=spec.total_cost,
                stage=spec.stage,
                financial_close_date=spec.financial_close_date,
                planned_cod=spec.planned_cod,
                forecast_cod=spec.forecast_cod,
                equator_category=spec.equator_category,
                green_category=spec.green_category,
            )
        )
        financing.append((spec.commitment, spec.outstanding))
    return projects


# ---------------------------------------------------------------- project finance

BENCH_GROUP_SIZE = 50
# Group sizes: (share, smallest, largest); about 7.6 accounts on average.
GROUP_SIZES = ((55, 2, 4), (30, 5, 12), (12, 13, 25), (3, 26, BENCH_GROUP_SIZE))
OWNERSHIP_PCTS = (100, 100, 100, 51, 60, 65, 70, 75, 80, 90)
# The roles after the lead and the borrower, in the order a project takes them.
OTHER_ROLES = (
    PartyRole.EPC,
    PartyRole.CO_LENDER,
    PartyRole.OFFTAKER,
    PartyRole.OM_OPERATOR,
    PartyRole.MLA,
    PartyRole.INSURER,
    PartyRole.INDEPENDENT_ENGINEER,
    PartyRole.SPONSOR,
)
_TYPE_OF_ROLE = {
    PartyRole.EPC: AccountType.EPC,
    PartyRole.CO_LENDER: AccountType.CO_LENDER,
    PartyRole.MLA: AccountType.CO_LENDER,
    PartyRole.OFFTAKER: AccountType.OFFTAKER,
    PartyRole.SPONSOR: AccountType.SPONSOR,
}
FACILITY_KINDS = (
    FacilityKind.TERM_LOAN,
    FacilityKind.REVOLVING,
    FacilityKind.GUARANTEE,
    FacilityKind.LETTER_OF_CREDIT,
)
# Five-category classification of the volume book: (class, weight per 1000 facilities).
CLASS_WEIGHTS = (
    (LoanClass.NORMAL, 950),
    (LoanClass.SPECIAL_MENTION, 30),
    (LoanClass.SUBSTANDARD, 12),
    (LoanClass.DOUBTFUL, 5),
    (LoanClass.LOSS, 3),
)
OVER_COMMITMENT_SHARE = 0.005
CONNECTION_SHARE = 0.01  # of accounts
_CLASSES = tuple(c for c, _w in CLASS_WEIGHTS)
_CLASS_WEIGHTS = tuple(w for _c, w in CLASS_WEIGHTS)
_CONNECTION_REASONS = tuple(ConnectionReason.values)


def bench_group() -> ClientGroup | None:
    """The 50-account group the ``groups.detail`` benchmark opens: the one headed by volume
    account number 0."""
    return ClientGroup.objects.filter(parent__uscc=volume_uscc(0)).first()


def _parties_and_facilities(
    rng: random.Random,
    accounts: list[Account],
    projects: list[Project],
    financing: list[tuple[Decimal, Decimal]],
    *,
    parties_per_project: int,
    facilities_per_project: int,
    today: date,
) -> tuple[list[ProjectParty], list[Facility]]:
    """Each project's parties from the chunk's accounts, and its facilities owed by the
    borrower (the lead when it can borrow, else a borrower-type account of the chunk)."""
    by_type: dict[str, list[Account]] = {}
    for account in accounts:
        by_type.setdefault(account.account_type, []).append(account)
    borrowers = by_type.get(AccountType.BORROWER, [])
    parties: list[ProjectParty] = []
    facilities: list[Facility] = []
    for project, (commitment, outstanding) in zip(projects, financing, strict=True):
        lead = project.account
        lead_role = PARTY_ROLE_OF_ACCOUNT_TYPE[lead.account_type]
        sponsor_pct = (
            Decimal(rng.choice(OWNERSHIP_PCTS)) if lead_role == PartyRole.SPONSOR else None
        )
        rows = [ProjectParty(project=project, account=lead, role=lead_role, equity_pct=sponsor_pct)]
        taken = {lead.pk}
        borrower: Account | None = lead if lead_role in OBLIGOR_ROLES else None
        if lead_role != PartyRole.BORROWER and parties_per_project > 1:
            pool = [a for a in (borrowers or accounts) if a.pk not in taken]
            if pool:
                borrower = rng.choice(pool)
                rows.append(
                    ProjectParty(project=project, account=borrower, role=PartyRole.BORROWER)
                )
                taken.add(borrower.pk)
        for role in OTHER_ROLES:
            if len(rows) >= parties_per_project:
                break
            if role == PartyRole.SPONSOR and sponsor_pct is not None:
                continue  # the lead holds the equity
            wanted = _TYPE_OF_ROLE.get(role)
            pool = by_type.get(wanted, accounts) if wanted else accounts
            account = rng.choice(pool)
            if account.pk in taken:
                account = rng.choice(accounts)
                if account.pk in taken:
                    continue
            equity = Decimal(rng.choice((10, 20, 30, 49))) if role == PartyRole.SPONSOR else None
            rows.append(
                ProjectParty(project=project, account=account, role=role, equity_pct=equity)
            )
            taken.add(account.pk)
        parties.extend(rows[: max(parties_per_project, 1)])
        if facilities_per_project:
            facilities.extend(
                _facilities(
                    rng, project, borrower, commitment, outstanding, facilities_per_project, today
                )
            )
    return parties, facilities


def _facilities(
    rng: random.Random,
    project: Project,
    borrower: Account | None,
    commitment: Decimal,
    outstanding: Decimal,
    count: int,
    today: date,
) -> list[Facility]:
    """``count`` facilities sharing the project's commitment: a term loan first (syndicated),
    then revolving, guarantee and letter of credit; undrawn only while the project draws."""
    rows = []
    drawn_share = outstanding / commitment if commitment else Decimal("0")
    drawing = project.stage not in (ProjectStage.OPERATION, ProjectStage.CLOSED)
    for n in range(count):
        kind = FACILITY_KINDS[n % len(FACILITY_KINDS)]
        amount = (
            money(commitment * Decimal("0.8"))
            if n == 0 and count > 1
            else money(commitment / count)
        )
        amount = max(amount, Decimal("100000.00"))
        if project.stage == ProjectStage.CLOSED:
            drawn = undrawn = Decimal("0.00")
        else:
            drawn = min(money(amount * drawn_share), amount)
            undrawn = amount - drawn if drawing else Decimal("0.00")
        if rng.random() < OVER_COMMITMENT_SHARE and drawn > 0:
            drawn, undrawn = money(amount * Decimal("1.04")), Decimal("0.00")
        rows.append(
            Facility(
                project=project,
                borrower=borrower,
                name=f"{FacilityKind(kind).label} {chr(65 + n)}" if n else "Senior term loan",
                kind=kind,
                currency=project.currency,
                commitment=amount,
                drawn=drawn,
                undrawn=undrawn,
                facility_size=money(amount * Decimal(rng.choice((2, 3, 4, 5)))) if n == 0 else None,
                maturity_date=(project.financial_close_date or today)
                + timedelta(days=365 * rng.randint(8, 18)),
                margin_pct=Decimal(rng.choice(("0.450", "0.800", "1.100", "1.900", "2.600"))),
                classification=rng.choices(_CLASSES, _CLASS_WEIGHTS)[0],
            )
        )
    return rows


def _groups(
    rng: random.Random, accounts: list[Account], *, group_count: int, first_size: int | None
) -> tuple[list[ClientGroup], list[list[tuple[Account, int | None, Decimal | None]]]]:
    """``group_count`` groups of consecutive accounts: each a top, then subsidiaries under the
    top or under one of the first members (three or four levels in the larger groups)."""
    groups: list[ClientGroup] = []
    trees: list[list[tuple[Account, int | None, Decimal | None]]] = []
    start = 0
    for n in range(group_count):
        if n == 0 and first_size:
            size = first_size
        else:
            _share, low, high = rng.choices(GROUP_SIZES, [g[0] for g in GROUP_SIZES])[0]
            size = rng.randint(low, high)
        # Leave two accounts for each group still to come.
        size = min(size, len(accounts) - start - 2 * (group_count - n - 1))
        members = accounts[start : start + size]
        if len(members) < 2:
            break
        start += size
        top = members[0]
        groups.append(
            ClientGroup(
                parent=top,
                name_zh=top.legal_name_zh.removesuffix("有限公司") + "集团",
                name_en=top.legal_name_en.replace(" Co., Ltd.", " Group"),
            )
        )
        tree: list[tuple[Account, int | None, Decimal | None]] = [(top, None, None)]
        for k, account in enumerate(members[1:], start=1):
            parent = members[rng.randrange(0, min(k, 4))]
            tree.append((account, parent.pk, Decimal(rng.choice(OWNERSHIP_PCTS))))
        trees.append(tree)
    return groups, trees


def _connections(rng: random.Random, accounts: list[Account], count: int) -> list[ConnectedParty]:
    pairs: set[tuple[int, int]] = set()
    rows = []
    for _ in range(count):
        a, b = rng.sample(accounts, 2)
        low, high = min(a.pk, b.pk), max(a.pk, b.pk)
        if (low, high) in pairs:
            continue
        pairs.add((low, high))
        rows.append(
            ConnectedParty(
                account_id=low,
                other_id=high,
                reason=rng.choice(_CONNECTION_REASONS),
                note="Generated for the volume book.",
            )
        )
    return rows


def analyze_tables() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load; autovacuum would get there
    later, and until then the planner guesses row counts from an empty table."""
    if connection.vendor != "postgresql":
        return
    models = (
        Account,
        AccountMembership,
        Contact,
        Project,
        ProjectParty,
        Facility,
        ClientGroup,
        GroupMembership,
        ConnectedParty,
        User,
    )
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


@transaction.atomic
def generate_volume(
    *,
    accounts: int,
    password: str,
    contacts_per_account: int = 5,
    projects_per_account: int = 2,
    accounts_per_rm: int = ACCOUNTS_PER_RM,
    membership_share: float = 0.1,
    parties_per_project: int = 5,
    facilities_per_project: int = 1,
    accounts_per_group: int = 10,
    seed: int = 0,
    batch_size: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> VolumeResult:
    """Add ``accounts`` synthetic accounts with their contacts, projects and account teams,
    the projects' parties and facilities, client groups (one per ``accounts_per_group``
    accounts; 0: none) and connected parties."""
    started = time.perf_counter()
    rng = random.Random(seed)
    today = timezone.localdate()
    result = VolumeResult(first_index=next_volume_index())
    first, end = result.first_index, result.first_index + accounts
    rm_count = max(1, math.ceil(end / accounts_per_rm))
    rms, _teams = _ensure_volume_users(rm_count=rm_count, password=password, result=result)

    for chunk_start in range(first, end, batch_size):
        chunk = range(chunk_start, min(chunk_start + batch_size, end))
        rows = [_account(rng, i, rms[i // accounts_per_rm + 1]) for i in chunk]
        Account.objects.bulk_create(rows, batch_size=batch_size)
        contacts: list[Contact] = []
        projects: list[Project] = []
        financing: list[tuple[Decimal, Decimal]] = []
        members: list[AccountMembership] = []
        for i, account in zip(chunk, rows, strict=True):
            contacts.extend(_contacts(rng, account, contacts_per_account))
            projects.extend(_projects(rng, account, projects_per_account, today, financing))
            if rng.random() < membership_share:
                # A co-RM from the same team: the owner's neighbour in the team.
                rm_number = i // accounts_per_rm + 1
                team_first = (rm_number - 1) // RMS_PER_TEAM * RMS_PER_TEAM + 1
                mate = team_first + (rm_number - team_first + 1) % RMS_PER_TEAM
                if mate != rm_number and mate in rms:
                    members.append(
                        AccountMembership(
                            account=account, user=rms[mate], role=MembershipRole.CO_RM
                        )
                    )
        Contact.objects.bulk_create(contacts, batch_size=batch_size)
        Project.objects.bulk_create(projects, batch_size=batch_size)
        AccountMembership.objects.bulk_create(members, batch_size=batch_size)
        parties, facilities = _parties_and_facilities(
            rng,
            rows,
            projects,
            financing,
            parties_per_project=parties_per_project,
            facilities_per_project=facilities_per_project,
            today=today,
        )
        ProjectParty.objects.bulk_create(parties, batch_size=batch_size)
        Facility.objects.bulk_create(facilities, batch_size=batch_size)
        # The history of each facility not classified normal: one downgrade, by the scan's
        # standards a fact to report (a normal facility's first record is left out at volume).
        changes = [
            FacilityClassificationChange(
                facility=f,
                previous=LoanClass.NORMAL,
                classification=f.classification,
                reason="Downgraded at the quarterly credit review.",
            )
            for f in facilities
            if f.classification != LoanClass.NORMAL
        ]
        FacilityClassificationChange.objects.bulk_create(changes, batch_size=batch_size)
        if accounts_per_group > 0:
            first_chunk = chunk_start == first
            group_count = max(1, round(len(rows) / accounts_per_group))
            bench_size = BENCH_GROUP_SIZE if first_chunk and len(rows) >= BENCH_GROUP_SIZE else None
            groups, trees = _groups(rng, rows, group_count=group_count, first_size=bench_size)
            ClientGroup.objects.bulk_create(groups, batch_size=batch_size)
            group_rows = [
                GroupMembership(
                    group=group, account=account, parent_id=parent_id, ownership_pct=pct
                )
                for group, tree in zip(groups, trees, strict=True)
                for account, parent_id, pct in tree
            ]
            GroupMembership.objects.bulk_create(group_rows, batch_size=batch_size)
            result.groups += len(groups)
            result.group_members += len(group_rows)
        if len(rows) >= 2:
            links = _connections(rng, rows, max(1, round(len(rows) * CONNECTION_SHARE)))
            ConnectedParty.objects.bulk_create(links, batch_size=batch_size)
            result.connections += len(links)
        result.accounts += len(rows)
        result.contacts += len(contacts)
        result.projects += len(projects)
        result.memberships += len(members)
        result.parties += len(parties)
        result.facilities += len(facilities)
        result.classification_changes += len(changes)
        if progress:
            progress(
                f"  {result.accounts:>7} accounts, {result.contacts} contacts, "
                f"{result.projects} projects, {result.parties} parties, "
                f"{result.facilities} facilities, {result.groups} groups "
                f"({time.perf_counter() - started:.1f} s)"
            )
    result.seconds = time.perf_counter() - started
    return result

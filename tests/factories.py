from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group
from stdnum.cn import uscc

from accounts.choices import OBLIGOR_ROLES, Industry, LoanClass, PartyRole, Region, Sector
from accounts.models import Account, AccountMembership, Contact, Facility, Project, ProjectParty
from kam.models import Team, User


def make_uscc(seq: int) -> str:
    """A valid Unified Social Credit Code built from a sequence number."""
    body = f"91110000{seq:09d}"
    return body + uscc.calc_check_digit(body)


def _add_roles(user: User, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
    """`UserFactory.create(roles=[...])`: put the new user in those role groups."""
    if create and extracted:
        user.groups.add(*Group.objects.filter(name__in=extracted))
        assert user.groups.count() == len(extracted), "unknown role"


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests")

    roles = factory.PostGeneration(_add_roles)


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account

    legal_name_en = factory.Sequence(lambda n: f"Account {n:05d} Holdings Ltd")
    legal_name_zh = factory.Sequence(lambda n: f"测试客户{n:05d}有限公司")
    uscc = factory.Sequence(make_uscc)
    industry = Industry.POWER
    region = Region.EAST_CHINA
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team)


class MembershipFactory(factory.django.DjangoModelFactory[AccountMembership]):
    class Meta:
        model = AccountMembership

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    title = "CFO"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.Sequence(lambda n: f"contact{n}@example.cn")
    channel_preferences = factory.LazyFunction(lambda: ["meeting", "wechat"])


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    sector = Sector.RENEWABLES
    region = Region.NORTHWEST_CHINA
    total_cost = factory.LazyFunction(lambda: Decimal(random.randint(1000, 5000)) * 1_000_000)
    # The project's financing, as one term loan borrowed by the lead account (the lead
    # account is also a party: the borrower, unless ``role`` says otherwise; a role that
    # cannot borrow leaves the facility unattributed). ``commitment=0``: no facility.
    # Not model fields: ``_create`` takes them off before the project is saved.
    commitment = factory.LazyAttribute(
        lambda o: (o.total_cost * Decimal("0.6")).quantize(Decimal("1"))
    )
    outstanding = factory.LazyAttribute(
        lambda o: (o.commitment * Decimal("0.5")).quantize(Decimal("1"))
    )
    role = PartyRole.BORROWER
    classification = LoanClass.NORMAL

    @factory.post_generation
    def financing(obj: Project, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if not create:
            return
        params = obj._factory_params  # type: ignore[attr-defined]
        ProjectParty.objects.create(project=obj, account=obj.account, role=params["role"])
        commitment, outstanding = params["commitment"], params["outstanding"]
        if commitment or outstanding:
            Facility.objects.create(
                project=obj,
                borrower=obj.account if params["role"] in OBLIGOR_ROLES else None,
                name="Term loan",
                currency=obj.currency,
                commitment=commitment,
                drawn=outstanding,
                undrawn=max(commitment - outstanding, Decimal("0")),
                classification=params["classification"],
            )

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Project:
        params = {
            name: kwargs.pop(name)
            for name in ("commitment", "outstanding", "role", "classification")
            if name in kwargs
        }
        project = super()._create(model_class, *args, **kwargs)
        project._factory_params = params
        return project

"""The book every relationship-map test draws.

Sunrise Power Holdings (the owner's) heads a group with a subsidiary the owner also covers
(60 %) and, under it, one another RM covers (51 %); it is connected to an account of another
RM by a guarantee; it borrows for its own project, where an EPC contractor of another RM is a
party too, and is the off-taker of a project managed under another RM's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import LegalBasis, PartyRole
from accounts.models import Account, Contact, Project, ProjectParty
from groups.models import ClientGroup, ConnectedParty, ConnectionReason, GroupMembership
from interactions.models import AccountSponsor
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory, ProjectFactory
from tests.interactions.factories import InteractionFactory


@dataclass
class Book:
    cast: Cast
    group: ClientGroup
    subsidiary: Account  # the owner's, 60 % owned by the account
    grandchild: Account  # the outsider's, 51 % owned by the subsidiary
    guarantor: Account  # the outsider's, connected to the account by a guarantee
    epc: Account  # the outsider's, EPC contractor on the account's project
    own_project: Project  # managed under the account
    foreign_project: Project  # managed under the outsider's account; the account buys
    foreign_borrower: Account
    ceo: Contact
    cfo: Contact
    guarantor_contact: Contact


@pytest.fixture
def book(cast: Cast) -> Book:
    account = cast.account
    account.legal_name_zh = "朝阳电力控股"
    account.save()
    subsidiary = AccountFactory.create(owner=cast.owner, legal_name_en="Sunrise Wind")
    grandchild = AccountFactory.create(owner=cast.outsider, legal_name_en="Sunrise Wind Farm 3")
    group = ClientGroup.objects.create(name_en="Sunrise Group", name_zh="朝阳集团", parent=account)
    GroupMembership.objects.create(group=group, account=account)
    GroupMembership.objects.create(
        group=group, account=subsidiary, parent=account, ownership_pct=Decimal("60.00")
    )
    GroupMembership.objects.create(
        group=group, account=grandchild, parent=subsidiary, ownership_pct=Decimal("51.00")
    )
    guarantor = AccountFactory.create(owner=cast.outsider, legal_name_en="Faraway Guarantee Co")
    ConnectedParty.objects.create(
        account=guarantor, other=account, reason=ConnectionReason.GUARANTEE
    )

    own_project = ProjectFactory.create(account=account, name="Gobi Solar I")  # borrower
    ProjectParty.objects.create(
        project=own_project, account=account, role=PartyRole.SPONSOR, equity_pct=Decimal("30")
    )
    epc = AccountFactory.create(owner=cast.outsider, legal_name_en="Build It EPC")
    ProjectParty.objects.create(project=own_project, account=epc, role=PartyRole.EPC)
    foreign_borrower = AccountFactory.create(owner=cast.outsider, legal_name_en="Secret SPV")
    foreign_project = ProjectFactory.create(account=foreign_borrower, name="Hidden Hydro")
    ProjectParty.objects.create(project=foreign_project, account=account, role=PartyRole.OFFTAKER)

    ceo = ContactFactory.create(account=account, name="Zhou Ming", title="CEO")
    cfo = ContactFactory.create(account=account, name="Qian Li", title="CFO", reports_to=ceo)
    ContactFactory.create(account=account, name="Gone Person", anonymised_at=timezone.now())
    ContactFactory.create(
        account=account,
        name="Withdrawn Person",
        legal_basis=LegalBasis.CONSENT,
        consent_given_on=timezone.localdate(),
        consent_withdrawn_on=timezone.localdate(),
    )
    guarantor_contact = ContactFactory.create(account=guarantor, name="Outside Contact")

    AccountSponsor.objects.create(account=account, executive=cast.executive)
    met = InteractionFactory.create(account=account)
    met.contacts.add(cfo)
    met.internal_participants.add(cast.owner, cast.lead)
    again = InteractionFactory.create(account=account)
    again.contacts.add(cfo)
    again.internal_participants.add(cast.owner)
    # Only the account team and compliance read a confidential interaction.
    secret = InteractionFactory.create(account=account, is_confidential=True)
    secret.contacts.add(ceo)
    secret.internal_participants.add(cast.teammate)
    return Book(
        cast=cast,
        group=group,
        subsidiary=subsidiary,
        grandchild=grandchild,
        guarantor=guarantor,
        epc=epc,
        own_project=own_project,
        foreign_project=foreign_project,
        foreign_borrower=foreign_borrower,
        ceo=ceo,
        cfo=cfo,
        guarantor_contact=guarantor_contact,
    )

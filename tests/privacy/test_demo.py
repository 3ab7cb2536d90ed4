"""The demo book shows every PIPL state: contacts on each legal basis, with and without the
notice, consents given and withdrawn, transfers abroad; requests in every status."""

from __future__ import annotations

import pytest

from accounts.choices import LegalBasis
from accounts.models import Contact
from demo.accounts import seed_demo
from demo.privacy import seed_privacy
from privacy.models import DataSubjectRequest, RequestStatus

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_state_and_seeds_once() -> None:
    seed_demo(password="demo-password-for-tests")
    result = seed_privacy()
    contacts = Contact.objects.all()
    bases = set(contacts.values_list("legal_basis", flat=True))
    assert {LegalBasis.CONTRACT, LegalBasis.CONSENT, LegalBasis.LEGAL_DUTY} <= bases
    assert contacts.filter(notice_given_on__isnull=True).exists()
    assert contacts.filter(consent_withdrawn_on__isnull=False).exists()
    assert contacts.filter(cross_border_consent_on__isnull=False).exists()
    assert contacts.filter(cross_border_withdrawn_on__isnull=False).exists()
    assert contacts.filter(anonymised_at__isnull=False).count() == result.anonymised == 1
    statuses = set(DataSubjectRequest.objects.values_list("status", flat=True))
    assert statuses == set(RequestStatus.values)
    assert DataSubjectRequest.objects.filter(contact__isnull=True).exists()
    assert seed_privacy().requests == 0

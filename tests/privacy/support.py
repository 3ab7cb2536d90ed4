"""Helpers of the privacy tests: a signed-in client, a contact's form data, a request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from accounts.models import Contact
from kam.models import User
from kam.quarters import today
from privacy import services
from privacy.models import DataSubjectRequest
from tests.factories import ContactFactory


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def contact_data(**overrides: Any) -> dict[str, Any]:
    """A valid post of the portal's contact form (a contact on the contract basis)."""
    data: dict[str, Any] = {
        "name": "王芳",
        "title": "CFO",
        "seniority": "c_level",
        "influence": "decision_maker",
        "attitude": "supporter",
        "channel_preferences": ["meeting"],
        "phone": "",
        "email": "",
        "legal_basis": "contract",
        "purpose": "Relationship management of the client",
        "notice_given_on": "",
        "source": "client",
        "consent_given_on": "",
        "consent_withdrawn_on": "",
        "cross_border_recipient": "",
        "cross_border_consent_on": "",
        "cross_border_withdrawn_on": "",
    }
    data.update(overrides)
    return data


def days_ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


def make_request(
    *, user: User, kind: str, contact: Contact | None = None, received: int = 0, **extra: Any
) -> DataSubjectRequest:
    return services.request_create(
        user=user, kind=kind, received_on=days_ago(received), contact=contact, **extra
    )


def consenting_contact(account: Any, **extra: Any) -> Contact:
    """A contact whose information we process on their consent."""
    return ContactFactory.create(
        account=account,
        legal_basis="consent",
        consent_given_on=days_ago(100),
        purpose="Event invitations",
        **extra,
    )

"""Interactions app models, one module per area:

- ``interactions``: channels, interactions, follow-up actions, strategic reviews, reminders
  (issue 4)
- ``service``: SLA policies, service requests, their events and breaches (issue 5)
"""

from .interactions import (
    AccountContactStats,
    AccountSponsor,
    Channel,
    FollowUp,
    Interaction,
    ReviewReminder,
    StrategicReview,
)
from .service import (
    BreachKind,
    Priority,
    RequestState,
    ServiceRequest,
    ServiceRequestEvent,
    SlaBreach,
    SlaPolicy,
)

__all__ = [
    "AccountContactStats",
    "AccountSponsor",
    "Channel",
    "FollowUp",
    "Interaction",
    "ReviewReminder",
    "StrategicReview",
    # service (issue 5)
    "BreachKind",
    "Priority",
    "RequestState",
    "ServiceRequest",
    "ServiceRequestEvent",
    "SlaBreach",
    "SlaPolicy",
]

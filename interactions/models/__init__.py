"""Interactions app models, one module per area:

- ``interactions``: channels, interactions, follow-up actions, strategic reviews, reminders
- ``service``: SLA policies, service requests, their events and breaches
"""

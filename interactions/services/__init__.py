"""Writes of the interactions app, one module per area (two issues share this app):

- ``interactions``: interactions, follow-up actions, per-account contact stats (issue 4)
- ``reviews``: strategic reviews, sponsors, quarterly reminders and escalation (issue 4)
- ``service``: service requests and SLAs (issue 5) — add your module here, import it by
  its full path (``from interactions.services.service import ...``); keep this file to notes.
"""

"""Pages of the interactions app, one module per area (two issues share this app):

- ``interactions``: timeline, log/edit an interaction, follow-ups (issue 4)
- ``reviews``: strategic reviews and the quarterly coverage overview (issue 4)
- ``service``: service requests (issue 5) — add your module and its paths to
  interactions/urls.py; keep this file to notes.
"""

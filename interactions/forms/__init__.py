"""Forms of the interactions app, one module per area (two issues share this app):

- ``interactions``: interaction and follow-up forms (issue 4)
- ``reviews``: strategic review forms (issue 4)
- ``service``: service request forms (issue 5) — add your module; keep this file to notes.
"""

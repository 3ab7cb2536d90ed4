"""Permission-scoped reads of the interactions app, one module per area (two issues share
this app). Every selector builds on accounts.selectors.account_list_for_user / _get_for_user.

- ``interactions``: timeline, cadence, contact coverage, follow-ups, home summary (issue 4)
- ``reviews``: strategic reviews, quarter coverage, accounts missing a review (issue 4)
- ``service``: service requests and SLAs (issue 5) — add your module; keep this file to notes.
"""

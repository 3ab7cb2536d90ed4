"""The floor above every capability: the RM home and the account list (book.py), the
executive dashboard, supervision scorecards and the quarterly snapshots behind trends. Every
figure reads accounts through accounts.selectors (the one door), aggregated in the database,
and every page is computed on each request."""

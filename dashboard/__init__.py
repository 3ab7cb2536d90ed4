"""Dashboards and analytics (issue 7): the executive dashboard, supervision scorecards and the
quarterly snapshots behind trends. Every figure reads accounts through
accounts.selectors.account_list_for_user (the one door), aggregated in the database."""

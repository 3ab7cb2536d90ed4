"""Demo book and volume generators (`manage.py seed_demo`, `manage.py generate_volume`).

The top layer: it imports kam, accounts, interactions, risk and dashboard; no production
module imports it.
"""

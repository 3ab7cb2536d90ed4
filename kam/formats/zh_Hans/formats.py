"""Simplified Chinese number formats as Chinese banks print amounts: 1,250,000,000.00."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

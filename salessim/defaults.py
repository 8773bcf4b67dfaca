"""Defaults shared by the command line and the library, in a module with no imports, so that
`salessim --help` can show them without loading numpy, pandas or pydantic."""

DEFAULT_MAX_HOURS = 24.0
"""Refuse a batch estimated to take longer than this (hours); `--max-hours`."""
DEFAULT_WORK_HOURS = 3.0
"""A seller's work per deal (hours) when a CRM export cannot tell; `--work-hours-per-deal`."""

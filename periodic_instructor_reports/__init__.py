"""Generate Open edX instructor reports on a schedule."""

__version__ = "2.0.0"

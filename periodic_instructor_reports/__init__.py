"""Generate Open edX instructor reports on a schedule."""

__version__ = "1.0.0"

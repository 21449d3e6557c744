"""The package's version: the same as the periodic-instructor-reports release it installs."""

__version__ = "2.0.0"

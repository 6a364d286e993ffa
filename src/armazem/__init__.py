"""armazem: a data platform in a box."""

__version__ = "0.1.0"

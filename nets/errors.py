"""Errors that ``nets`` raises for problems a user can fix.

The command line prints any :class:`NetsError` as one line, so every message names the thing
at fault, the value it got and what would be allowed.
"""


class NetsError(Exception):
    """Base class for every error ``nets`` raises on purpose."""


class ConfigError(NetsError, ValueError):
    """An invalid setting or input: the message names the setting, the value and what is allowed."""


class DivergenceError(NetsError, ArithmeticError):
    """Training produced a non-finite cost or non-finite weights."""


class ModelFileError(NetsError):
    """A saved model could not be read: the message names the file and the problem."""

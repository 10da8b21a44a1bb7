"""Errors the harness reports to a user as one clear line (exit status 1 at the command line)."""


class BenchError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""


class DatasetError(BenchError):
    """A dataset could not be read, verified, fetched or cached."""

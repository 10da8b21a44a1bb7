"""Errors the harness reports to a user as one clear line (exit status 1 at the command line)."""


class BenchError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""


class DatasetError(BenchError):
    """A dataset could not be read, verified, fetched or cached."""


def one_line(error: BaseException) -> str:
    """``error`` as ``Type: its first line`` (a record's reason, a part of a one-line error)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")

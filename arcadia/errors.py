"""Errors that every surface (page, API, CLI) turns into a clear message."""


class ArcadiaError(Exception):
    """Base class: the message is safe to show to a user."""


class InputError(ArcadiaError, ValueError):
    """Bad user input (a period, an instant): HTTP 400 / CLI exit 2."""


class DataError(ArcadiaError):
    """Rows in the database break a figure (malformed tiers, overflowing sums, mixed currencies): the
    message names the rows and why. Only the figure that needs them fails; pages, the API (500,
    error "bad_data") and the CLI (exit 1) show the message. `python -m arcadia check` lists them all."""


class MixedCurrencyError(DataError):
    """Amounts of one figure are in more than one currency (no FX table yet)."""

    def __init__(self, what: str, currencies, detail: str = ""):
        self.currencies = sorted(currencies)
        super().__init__(
            f"{what} has amounts in more than one currency ({', '.join(self.currencies)}); "
            "they are not added without an FX table" + (f": {detail}" if detail else "")
        )


class DatabaseUnavailable(ArcadiaError):
    """The database could not be reached: HTTP 503 / CLI exit 1."""


class DatabaseTimeout(DatabaseUnavailable):
    """The database did not answer in time (a lock, a slow query, a stalled connection): 503 / exit 1."""


class AccessDenied(ArcadiaError):
    """The database is not one this configuration may show (fail closed)."""


def shown(value: object) -> str:
    """The offending value for an error message, cut short when huge."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"

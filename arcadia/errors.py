"""Errors that every surface (page, API, CLI) turns into a clear message."""


class ArcadiaError(Exception):
    """Base class: the message is safe to show to a user."""


class InputError(ArcadiaError, ValueError):
    """Bad user input (a period, an instant): HTTP 400 / CLI exit 2."""


class MixedCurrencyError(ArcadiaError):
    """Amounts of one figure are in more than one currency (no FX table yet)."""

    def __init__(self, what: str, currencies):
        self.currencies = sorted(currencies)
        super().__init__(
            f"{what} has amounts in more than one currency ({', '.join(self.currencies)}); "
            "they are not added without an FX table"
        )


class DatabaseUnavailable(ArcadiaError):
    """The database could not be reached: HTTP 503 / CLI exit 1."""


class AccessDenied(ArcadiaError):
    """The database is not one this configuration may show (fail closed)."""

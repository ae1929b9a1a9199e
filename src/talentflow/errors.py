"""Typed errors. The library raises these; the CLI turns them into messages that say what to do."""

from __future__ import annotations


class TalentflowError(Exception):
    """Base class: every expected failure the user can act on."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


class ConfigError(TalentflowError):
    hint = "Pass --data DIR (or set TALENTFLOW_DATA) and --db PATH (or TALENTFLOW_DB)."


class DataMissing(TalentflowError):
    hint = "Run `talentflow data list` to see what is missing, then `talentflow data fetch` on a machine with internet."


class ChecksumMismatch(TalentflowError):
    hint = "The file differs from the catalogued upstream version: re-fetch it with `talentflow data fetch --force`."


class InputError(TalentflowError):
    """A data file cannot be read: names file, record and field where known."""

    def __init__(self, path: str, problem: str, record: str | None = None, field: str | None = None) -> None:
        where = path
        if record is not None:
            where += f", record {record}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.record, self.field = path, problem, record, field


class UnknownValue(TalentflowError):
    """A user-supplied value (venue, dataset id, stage…) is not one of the allowed values."""

    def __init__(self, what: str, value: str, allowed: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(value, allowed, n=3)
        msg = f"Unknown {what} {value!r}."
        if close:
            msg += f" Did you mean: {', '.join(close)}?"
        super().__init__(msg, hint=f"Allowed {what} values: {', '.join(allowed[:40])}" + (" …" if len(allowed) > 40 else ""))
        self.what, self.value, self.allowed = what, value, allowed


class BuildLocked(TalentflowError):
    hint = "Another `talentflow build` holds the lock; wait for it, or pass --wait SECONDS."


class NotBuilt(TalentflowError):
    hint = "Run `talentflow build` first."


class InvalidValue(UnknownValue):
    """A user-supplied value outside its bounds (a year range, n_boot, a string's length): `allowed` holds the
    one-line description of what is accepted, so the CLI and the API report it like an unknown value."""

    def __init__(self, what: str, value: str, expected: str) -> None:
        TalentflowError.__init__(self, f"Invalid {what} {value!r}: expected {expected}.",
                                 hint=f"{what} must be {expected}.")
        self.what, self.value, self.allowed = what, value, [expected]

"""The errors of subsidycli: every one is bad input, reported in one line and exit status 2."""

from __future__ import annotations

from collections.abc import Sequence


class SubsidyError(Exception):
    """Bad input: a file, a field or a value that the user can correct."""

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def lines(self) -> list[str]:
        """The message as the lines printed on stderr, each prefixed by where it happened."""
        prefix = f"{self.where}: " if self.where else ""
        return [f"{prefix}{self.message}"]


# A problem is a message, or (position, message) where the position is "line" or "line:column".
Problem = str | tuple[str, str]


class Problems(SubsidyError):
    """Several problems found in one input, reported together."""

    def __init__(self, problems: Sequence[Problem], *, where: str = "") -> None:
        self.problems = list(problems)
        super().__init__("; ".join(_located("", p) for p in problems), where=where)

    def lines(self) -> list[str]:
        return [_located(self.where, p) for p in self.problems]


def _located(where: str, problem: Problem) -> str:
    """`file:line: message` for a problem with a position, else `file: message`."""
    if isinstance(problem, tuple):
        position, message = problem
        return f"{where}:{position}: {message}" if where else f"{position}: {message}"
    return f"{where}: {problem}" if where else problem


class MoneyError(SubsidyError, ValueError):
    """A value that should be an amount of money, a count, a rate or a yes/no is not."""


class ExpressionError(SubsidyError):
    """A policy expression uses a construct, name or type the compiler does not allow."""


class PolicyError(Problems):
    """A policy file is not valid TOML or does not follow the policy schema."""


class ProfileError(Problems):
    """A profile is not valid: unknown field, bad value, or unreadable file."""


class CaseError(Problems):
    """A case file of `subsidy test` cannot be run: unreadable, or naming what is not there."""


class UnknownArticle(SubsidyError):
    """An article id that the policy does not declare."""

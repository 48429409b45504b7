"""A problem in the data, addressed like a compiler error (``file:row:column: message``), and the error that
carries every problem found."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem, addressed like a compiler error."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.column:
            where += f":{self.column}" if self.row is not None else f"::{self.column}"
        return f"{where}: {self.message}"


class DataError(Exception):
    """The data package is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


def problem_order(p: Problem):
    return (p.file, p.row if p.row is not None else -1, p.column or "", p.message)

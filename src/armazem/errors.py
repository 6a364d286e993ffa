"""User-facing errors: each names the problem and the fix, and the CLI prints it as one line."""


class ArmazemError(Exception):
    """A problem the user can fix (bad config, unreachable database, missing file).

    The CLI prints `error: <problem> (fix: <fix>)` and exits non-zero, without a traceback.
    """

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} (fix: {self.fix})"

"""User-facing errors: each names the problem and the fix, and the CLI prints it as one line."""

# How to start the local servers, for the fixes of "cannot reach ..." errors.
START_MARIADB = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


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

"""Domain errors: what a person did that the Panel's rules or the data refuse.

Every message is written for the person who caused it and says what is wrong
and where, so a page can show it as it is and the command line can print it.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error a user can cause."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(WorkbenchError):
    """The acting person may not do this."""


class NotFound(WorkbenchError):
    """A record named by the user does not exist."""


class ValidationError(WorkbenchError):
    """The input breaks a rule; nothing was changed."""


class Conflict(WorkbenchError):
    """A save was based on a text that has since changed; both texts are kept.

    ``base_text`` is what the author started from, ``head_text`` what is there
    now, ``mine`` what the author tried to save.
    """

    def __init__(
        self,
        message: str,
        *,
        mine: str = "",
        head_text: str = "",
        head_revision_id: int | None = None,
        base_revision_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.mine = mine
        self.head_text = head_text
        self.head_revision_id = head_revision_id
        self.base_revision_id = base_revision_id


class ImportFailed(WorkbenchError):
    """A file could not be imported; ``problems`` lists each entry or line at fault."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        full = message
        if self.problems:
            shown = self.problems[:20]
            more = len(self.problems) - len(shown)
            full = message + "\n" + "\n".join(f"- {p}" for p in shown)
            if more:
                full += f"\n- … and {more} more"
        super().__init__(full)
        self.summary = message

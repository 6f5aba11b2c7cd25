"""Domain errors: what a person did that the Panel's rules or the data refuse.

Every message is written for the person who caused it and says what is wrong
and where, so a page can show it as it is and the command line can print it.

A message is a template with named parameters, kept apart until it is shown
(:class:`workbench.i18n.Msg`): ``ValidationError("Section {code} has no text yet.",
code=section.code)``. ``exc.message`` renders it in the current language — the
reader's on a page, English on the command line — so the template is the message
id the catalogues translate. A plain string without parameters works the same way;
an already formatted string (an f-string) cannot be translated and is shown as is.
"""

from __future__ import annotations

from typing import Any

from workbench.i18n import Msg, render


class WorkbenchError(Exception):
    """Base of every error a user can cause."""

    def __init__(self, message: str | Msg, /, **params: Any) -> None:
        self.msg = message if isinstance(message, Msg) else Msg(message, **params)
        super().__init__(self.msg.render("en"))

    @property
    def message(self) -> str:
        """Return the message in the current language."""
        return self.msg.render()

    @property
    def message_id(self) -> str:
        """Return the message's id: its English template."""
        return self.msg.template

    @property
    def params(self) -> dict[str, Any]:
        """Return the message's parameters."""
        return dict(self.msg.params)

    def __str__(self) -> str:
        return self.message


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
        message: str | Msg,
        /,
        *,
        mine: str = "",
        head_text: str = "",
        head_revision_id: int | None = None,
        base_revision_id: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, **params)
        self.mine = mine
        self.head_text = head_text
        self.head_revision_id = head_revision_id
        self.base_revision_id = base_revision_id


class ImportFailed(WorkbenchError):
    """A file could not be imported; ``problems`` lists each entry or line at fault.

    A problem is a string or a :class:`Msg`; each is rendered when the message is.
    """

    def __init__(
        self, message: str | Msg, /, problems: list[str | Msg] | None = None, **params: Any
    ) -> None:
        self.problems = list(problems or [])
        super().__init__(message, **params)

    @property
    def summary(self) -> str:
        """Return the message without the list of problems."""
        return self.msg.render()

    @property
    def message(self) -> str:
        full = self.msg.render()
        if self.problems:
            shown = self.problems[:20]
            more = len(self.problems) - len(shown)
            full += "\n" + "\n".join(f"- {render(p)}" for p in shown)
            if more:
                full += "\n- " + Msg("… and {count} more", count=more).render()
        return full

"""The password policy: what a new password must be before it is hashed.

A password is refused when it is shorter than :data:`MIN_LENGTH`, longer than
:data:`MAX_LENGTH`, one of the most common passwords, easy to guess from them
(a repeat, a keyboard row, a common word with digits), or the person's own email
address. "Common" and "easy to guess" come from zxcvbn, a maintained estimator
that ships the 30,000 most used passwords of public leaks with English words and
names; the project ships no list of its own to keep up to date.

Every refusal is a :class:`~workbench.errors.ValidationError` saying why, so the
Admin page and ``workbench users passwd`` can show it as it is. The password
itself is never repeated in a message.
"""

from __future__ import annotations

import re
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from workbench.errors import ValidationError
from workbench.i18n import format_number

MIN_LENGTH = 12
# Long passphrases are welcome; the cap only keeps a pasted file out of the hasher.
MAX_LENGTH = 1024
# zxcvbn scores 0–4; 0 and 1 mean fewer than about a million guesses, which a
# throttled sign-in form still allows an attacker over weeks.
MIN_SCORE = 2
# zxcvbn's matching grows fast with length; the first characters decide how guessable it is.
_SCORED_LENGTH = 72


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Return the most common passwords of public leaks (lower case), as zxcvbn ships them."""
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _email_parts(email: str) -> list[str]:
    email = (email or "").strip().lower()
    if not email:
        return []
    local = email.split("@", 1)[0]
    return [email, local, *(p for p in re.split(r"[^a-z0-9]+", local) if len(p) >= 3)]


class _Number:
    """A number written the way the language current when the message is shown writes it."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __str__(self) -> str:
        return format_number(self.value)


def check_password(password: str, *, email: str = "") -> None:
    """Refuse a password that breaks the policy, saying why (nothing is changed)."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            "A password needs at least {minimum} characters; this one has {length}. "
            "A phrase of three or four unrelated words is long enough and easy to remember.",
            minimum=MIN_LENGTH,
            length=len(password),
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            "A password can have at most {maximum} characters.", maximum=_Number(MAX_LENGTH)
        )
    folded = password.strip().lower()
    parts = _email_parts(email)
    if parts and (folded in parts[:2] or parts[0] in folded):
        raise ValidationError(
            "A password cannot be the person's email address or contain it; choose another."
        )
    if folded in common_passwords():
        raise ValidationError(
            "This password is one of the most common passwords, the first ones an attacker "
            "tries; choose another."
        )
    verdict = zxcvbn(password[:_SCORED_LENGTH], user_inputs=parts)
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        why = (feedback.get("warning") or " ".join(feedback.get("suggestions") or [])).strip()
        if why:
            raise ValidationError(
                "This password is too easy to guess ({why}). A phrase of three or four "
                "unrelated words is stronger.",
                why=f"{why[0].lower()}{why[1:].rstrip('.')}",
            )
        raise ValidationError(
            "This password is too easy to guess. A phrase of three or four unrelated words "
            "is stronger."
        )

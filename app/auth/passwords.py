"""The password policy for passwords people choose: long enough, and not a common one.

Applied where a person sets a password: FAB's user add form, its two reset-password forms
(through `FAB_PASSWORD_COMPLEXITY_VALIDATOR`) and `flask tessera create-admin`. The demo
loader writes its users through `add_user`, which no form validates, so demo passwords stay
equal to their logins.

`common_passwords.txt` (shipped beside this module, lower case, one a line) holds well-known
weak passwords: the words, names, keyboard runs and digit patterns that top breach lists.
A password is "common" when it, or its core (digits and symbols trimmed from both ends, the
usual letter-for-digit swaps undone), is on the list: `Summer2024!` and `P@ssw0rd123` are
refused like `summer` and `password`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

DEFAULT_MIN_LENGTH = 12
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LEET = str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "1": "i", "!": "i", "0": "o",
                       "$": "s", "5": "s", "7": "t", "+": "t"})


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())


def _variants(password: str) -> set[str]:
    lowered = password.strip().lower()
    core = _EDGES.sub("", lowered)
    return {v for v in (lowered, core, lowered.translate(_LEET), core.translate(_LEET)) if v}


def _too_short(password: str, min_length: int) -> str | None:
    if len(password) >= min_length:
        return None
    return _("Use at least %(count)d characters.", count=min_length)


def _too_common(password: str, min_length: int) -> str | None:
    if _variants(password).isdisjoint(common_passwords()):
        return None
    return _("This password is too common: choose one that is harder to guess.")


CHECKS: dict[str, Callable[[str, int], str | None]] = {
    "length": _too_short,
    "common": _too_common,
}


def password_problems(password: str, min_length: int = DEFAULT_MIN_LENGTH) -> list[str]:
    """What is wrong with `password`, one message per failed check (empty when it passes)."""
    found = (check(password, min_length) for check in CHECKS.values())
    return [message for message in found if message]


def policy_problems(password: str) -> list[str]:
    """The problems of `password` under the app's settings (none when the policy is off).

    `FAB_PASSWORD_COMPLEXITY_ENABLED` switches the policy for FAB's forms and the CLI alike;
    `TESSERA_PASSWORD_MIN_LENGTH` sets the length.
    """
    config = current_app.config
    if not config.get("FAB_PASSWORD_COMPLEXITY_ENABLED", False):
        return []
    min_length = int(config.get("TESSERA_PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH))
    return password_problems(password or "", min_length)


def fab_password_validator(password: str) -> None:
    """FAB's `FAB_PASSWORD_COMPLEXITY_VALIDATOR`: raise with the problems of `password`."""
    problems = policy_problems(password)
    if problems:
        raise PasswordComplexityValidationError(" ".join(problems))

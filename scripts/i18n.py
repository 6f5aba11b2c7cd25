"""Keep the interface catalogues in step with the code (see workbench/catalogues.py).

    .venv/bin/python scripts/i18n.py update [FILE…]  # add new messages, drop stale ones
    .venv/bin/python scripts/i18n.py check [FILE…]   # list what is untranslated, fuzzy or stale

Without FILE, every source file; with FILE (e.g. views/write.py), only those.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workbench import catalogues


def main(argv: list[str]) -> int:
    """Run one of the commands above; return the exit status."""
    if not argv or argv[0] not in {"update", "check"}:
        print(__doc__)
        return 2
    only = [Path(name) for name in argv[1:]] or None
    if argv[0] == "update":
        changed = catalogues.update(only=only)
        for path, (added, dropped) in sorted(changed.items()):
            print(f"{path}: {added} new, {dropped} dropped")
        print(f"{len(changed)} catalogues changed.")
        return 0
    problems = catalogues.check(only=only)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problems.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

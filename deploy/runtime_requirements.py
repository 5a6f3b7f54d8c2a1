"""Print the runtime part of requirements.txt: what the container image installs.

    python deploy/runtime_requirements.py requirements.txt > runtime.txt

requirements.txt lists the runtime packages first, then, from the line starting with
``# Tests and tooling``, what only tests and developers need (pytest, Playwright,
ruff...). The image installs the first part only, with constraints.txt.
"""

from __future__ import annotations

import sys
from pathlib import Path

TOOLING_HEADER = "# Tests and tooling"


def runtime_requirements(text: str) -> list[str]:
    """Return the requirement lines of ``text`` above the tests-and-tooling header."""
    lines = []
    for line in text.splitlines():
        if line.startswith(TOOLING_HEADER):
            return lines
        if line.strip() and not line.lstrip().startswith("#"):
            lines.append(line.strip())
    raise ValueError(f"requirements.txt has no {TOOLING_HEADER!r} line")


def main(argv: list[str]) -> int:
    """Print the runtime requirements of the file named in ``argv``."""
    path = Path(argv[1] if len(argv) > 1 else "requirements.txt")
    print("\n".join(runtime_requirements(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Helpers of the operations tests."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_shop_process(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``python *args`` in the project in a fresh process with production settings and ``env``."""
    return subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "shop.settings",
            "DJANGO_SECRET_KEY": "x" * 50,
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

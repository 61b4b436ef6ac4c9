"""Installing a Debian package the tests need (PostgreSQL, Redis, nginx, Chromium and its fonts) on a clean CI machine."""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Optional

APT_TIMEOUT = 900  # seconds for one apt-get run: a clean machine downloads a few hundred MB at most
# The browser tests' packages, with the file that shows each is there: Chromium, its WebDriver, and
# Noto CJK, so that Chinese (Japanese, Korean) names render as text, not as empty boxes.
BROWSER_PACKAGES = {"chromium": "/usr/bin/chromium", "chromium-driver": "/usr/bin/chromedriver",
                    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"}


class AptError(Exception):
    """The package could not be installed; the message says why, with apt-get's last lines."""


def install(*packages: str) -> None:
    """apt-get install, non-interactively; refreshes the package lists if that fails."""
    if os.geteuid() != 0:
        raise AptError(f"only root can install {', '.join(packages)}: run `apt-get install {' '.join(packages)}`")
    if shutil.which("apt-get") is None:
        raise AptError(f"{', '.join(packages)} missing and no apt-get to install it with")
    command = ("install", "-y", "--no-install-recommends",
               "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", *packages)
    result = _apt(*command)
    if result.returncode != 0:
        update = _apt("update")
        if update.returncode != 0:
            raise AptError(f"apt-get update failed:\n{tail(update.stdout)}")
        result = _apt(*command)
    if result.returncode != 0:
        raise AptError(f"apt-get install {' '.join(packages)} failed:\n{tail(result.stdout)}")


def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(["apt-get", *args], env=env, stdin=subprocess.DEVNULL, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=APT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AptError(f"apt-get {args[0]} took longer than {APT_TIMEOUT} s") from None


def tail(text: Optional[str], lines: int = 25) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])

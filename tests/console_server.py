"""The console as a real server (`python -m campaigns.console`) on 127.0.0.1, for the browser
test and the README's screenshots."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.live import ROOT, free_port, stop_process, wait_up


class ConsoleServer:
    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SCREENING_DATABASE_URL": database_url, "SCREENING_SECRET_KEY": "browser-test-secret"}
        self._log = open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "campaigns.console", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            wait_up(f"{self.url}/login", self.proc, 60)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        stop_process(self.proc)
        self._log.close()

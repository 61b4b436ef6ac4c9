"""Headless Chromium for end-to-end tests and screenshots: Debian's chromium, chromedriver and the
Noto CJK fonts (installed by the test set-up when missing), driven over the W3C WebDriver protocol
with the standard library, so no browser-automation package is needed."""
from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

from tests import apt

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


class BrowserError(Exception):
    """The browser could not be set up, or a step failed; the message says which."""


def ensure_installed() -> None:
    missing = [package for package, path in apt.BROWSER_PACKAGES.items() if not Path(path).exists()]
    if missing:
        try:
            apt.install(*missing)
        except apt.AptError as error:
            raise BrowserError(str(error)) from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One headless Chromium session; downloads go to `downloads`."""

    def __init__(self, downloads: Path, *, width: int = 1280, height: int = 900) -> None:
        ensure_installed()
        self.downloads = downloads
        self.port = _free_port()
        self.driver = subprocess.Popen([shutil.which("chromedriver") or CHROMEDRIVER, f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_for_driver()
        options = {"binary": CHROMIUM,
                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            f"--window-size={width},{height}", "--force-device-scale-factor=1"],
                   "prefs": {"download.default_directory": str(downloads), "download.prompt_for_download": False}}
        session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        self.session = session["sessionId"]
        self._call("POST", f"/session/{self.session}/goog/cdp/execute", {
            "cmd": "Browser.setDownloadBehavior", "params": {"behavior": "allow", "downloadPath": str(downloads)}})

    def _wait_for_driver(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, BrowserError):
                time.sleep(0.1)
        raise BrowserError("chromedriver did not start")

    def _call(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"{}").get("value", {})
        except urllib.error.HTTPError as error:
            raise BrowserError(f"{method} {path}: {error.read().decode()[:500]}") from None

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    # --- what a test does ------------------------------------------------------------
    def go(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def find(self, css: str) -> str:
        return self._call("POST", self._s("/element"), {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css: str) -> None:
        self._call("POST", self._s(f"/element/{self.find(css)}/click"), {})

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self._call("POST", self._s(f"/element/{element}/clear"), {})
        self._call("POST", self._s(f"/element/{element}/value"), {"text": text})

    def text(self, css: str = "body") -> str:
        return self._call("GET", self._s(f"/element/{self.find(css)}/text"))

    @property
    def url(self) -> str:
        return self._call("GET", self._s("/url"))

    def cdp(self, command: str, **params: Any) -> Any:
        """A Chrome DevTools Protocol command in this session (chromedriver passes it on)."""
        return self._call("POST", self._s("/goog/cdp/execute"), {"cmd": command, "params": params})

    def fonts_of(self, css: str) -> dict[str, int]:
        """The fonts the browser drew an element's text with, and how many glyphs each: what a reader sees."""
        self.cdp("DOM.enable")
        self.cdp("CSS.enable")
        root = self.cdp("DOM.getDocument")["root"]["nodeId"]
        node = self.cdp("DOM.querySelector", nodeId=root, selector=css)["nodeId"]
        if not node:
            raise BrowserError(f"no element {css}")
        fonts = self.cdp("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        return {font["familyName"]: font["glyphCount"] for font in fonts}

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))

    def wait_for(self, condition, seconds: float = 10, what: str = "the page") -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                found = condition()
            except BrowserError:
                found = None
            if found:
                return found
            time.sleep(0.1)
        raise BrowserError(f"waited {seconds:g} s for {what}")

    def download(self, suffix: str, seconds: float = 20) -> Path:
        """The finished download whose name ends with `suffix`."""
        def done():
            files = [p for p in self.downloads.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
            return files[0] if files else None

        return self.wait_for(done, seconds, what=f"a download ending in {suffix}")

    def quit(self) -> None:
        try:
            self._call("DELETE", self._s(""))
        except (OSError, BrowserError):
            pass
        self.driver.terminate()
        try:
            self.driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.driver.kill()

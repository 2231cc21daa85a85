"""Headless Chromium (Debian's package) driven over the Chrome DevTools Protocol on a pipe: no Python dependency,
no WebDriver, no port. Chromium reads commands on fd 3 and writes answers and events on fd 4, each a JSON
message ending in a NUL byte (--remote-debugging-pipe, as Puppeteer and Playwright use it).

Every wait is for a message from the browser, bounded by a deadline: a browser that hangs fails the test, no sleeps.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
Message = dict[str, Any]


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, or stopped answering."""


class Chromium:
    def __init__(self, process: subprocess.Popen[bytes], commands: int, answers: int, timeout_s: float) -> None:
        self._process, self._commands, self._answers = process, commands, answers
        self._timeout_s = timeout_s
        self._buffer = b""
        self._events: list[Message] = []
        self._next_id = 0

    @classmethod
    @contextlib.contextmanager
    def launch(cls, timeout_s: float = 30.0) -> Iterator[Chromium]:
        """A fresh browser with a fresh profile; closed (and killed if it must be) on the way out."""
        if not os.access(CHROMIUM, os.X_OK):
            raise BrowserError(f"no Chromium at {CHROMIUM}: `make install` installs Debian's package (or set CHROMIUM)")
        to_browser, commands = os.pipe()
        answers, from_browser = os.pipe()

        def onto_fds_3_and_4() -> None:  # in the child: first out of the way (>= 10), then onto 3 and 4
            reads, writes = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        with tempfile.TemporaryDirectory(prefix="spendrail-chromium-") as profile:
            process = subprocess.Popen(
                [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                preexec_fn=onto_fds_3_and_4,  # noqa: PLW1509 - the way to put Chromium's pipe on fds 3 and 4
                pass_fds=(3, 4),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.close(to_browser)
            os.close(from_browser)
            browser = cls(process, commands, answers, timeout_s)
            try:
                yield browser
            finally:
                browser._close()

    def _close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._commands)
        os.close(self._answers)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Message:
        self._next_id += 1
        message: Message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        answer = self._until(lambda m: m.get("id") == self._next_id, f"an answer to {method}", keep_events=True)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        result: Message = answer.get("result", {})
        return result

    def wait_event(self, method: str, session: str, match: Callable[[Message], bool] = lambda _: True) -> Message:
        """The first event `method` of the session (already received or still to come) whose params `match`."""

        def wanted(message: Message) -> bool:
            return message.get("method") == method and message.get("sessionId") == session and match(message["params"])

        for index, event in enumerate(self._events):
            if wanted(event):
                params: Message = self._events.pop(index)["params"]
                return params
        found: Message = self._until(wanted, f"the event {method}", keep_events=True)["params"]
        return found

    def _until(self, wanted: Callable[[Message], bool], what: str, *, keep_events: bool) -> Message:
        deadline = time.monotonic() + self._timeout_s
        while True:
            message = self._read(deadline, what)
            if wanted(message):
                return message
            if keep_events and "method" in message:
                self._events.append(message)

    def _read(self, deadline: float, what: str) -> Message:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._answers], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"Chromium sent no {what} within {self._timeout_s:g} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium closed its pipe while we waited for {what}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: Message = json.loads(raw)
        return message

    def new_tab(self) -> Tab:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, session)
        tab.send("Page.enable")
        tab.send("Network.enable")
        return tab


class Tab:
    def __init__(self, browser: Chromium, session: str) -> None:
        self._browser, self._session = browser, session

    def send(self, method: str, params: dict[str, Any] | None = None) -> Message:
        return self._browser.send(method, params, self._session)

    def open(self, url: str, *, width: int, height: int = 800, mobile: bool = False, scale: float = 1) -> int:
        """Load `url` in a `width` x `height` viewport (a phone's, with `mobile`); the document's HTTP status once
        the page has loaded."""
        metrics = {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        navigation = self.send("Page.navigate", {"url": url})
        if "errorText" in navigation:
            raise BrowserError(f"could not load {url}: {navigation['errorText']}")
        loader = navigation.get("loaderId")
        response = self._browser.wait_event(
            "Network.responseReceived",
            self._session,
            lambda params: params.get("loaderId") == loader and params.get("type") == "Document",
        )
        self._browser.wait_event("Page.loadEventFired", self._session)
        return int(response["response"]["status"])

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serializable)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression[:60]}...: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the whole page, not only the viewport."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
        return base64.b64decode(shot["data"])

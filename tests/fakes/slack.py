"""A Slack incoming-webhook stand-in on loopback: real HTTP, every post recorded, answers scripted per path."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Post:
    path: str
    body: dict[str, Any]
    at: float  # time.monotonic() when it arrived

    @property
    def headline(self) -> str:
        return str(self.body["blocks"][0]["text"]["text"])

    @property
    def alert_id(self) -> str:
        context = self.body["blocks"][-1]["elements"][0]["text"]
        return str(context.split("`")[1])


class FakeSlack:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.answers: dict[str, deque[tuple[int, str]]] = defaultdict(deque)  # path -> the next answers to give
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str = "/services/T000/B000/operator") -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def answer(self, path: str, *answers: tuple[int, str]) -> None:
        """The next answers to posts on `path` (after them: 200 "ok")."""
        self.answers[path].extend(answers)

    def to(self, path: str) -> list[Post]:
        with self._lock:
            return [post for post in self.posts if post.path == path]

    def wait_for(
        self, count: int, where: Callable[[Post], bool] = lambda post: True, timeout: float = 60.0
    ) -> list[Post]:
        """Until `count` posts that match `where` have arrived; polls with a deadline."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(got := [post for post in self.posts if where(post)]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(got)} of {count} Slack posts arrived: {[p.headline for p in got]}"
                self._lock.wait(left)
            return got

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with slack._lock:
                    queued = slack.answers[self.path]
                    status, text = queued.popleft() if queued else (200, "ok")
                    if status < 300:
                        slack.posts.append(Post(self.path, body, time.monotonic()))
                        slack._lock.notify_all()
                raw = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

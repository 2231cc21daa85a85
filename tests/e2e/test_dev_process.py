"""`make dev` as a developer runs it: in a terminal, stopped with Ctrl-C or SIGTERM, telling about dead parts."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.dev import LocalStack, StackConfig
from local.dynalite import free_port

ROOT = Path(__file__).resolve().parents[2]
READY = "Ctrl-C stops everything."
STOP_BOUND_S = 10.0


def processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, state) of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended while we looked
            state, ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
            found[int(entry.name)] = (int(ppid), int(pgrp), state)
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Dev:
    """`python -m local.dev` in a process group of its own, as a terminal starts it; output collected as it comes."""

    def __init__(self, data_dir: Path, **settings: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "AWS_ENDPOINT"))}
        env |= {
            "PYTHONPATH": str(ROOT),
            "PORT": str(free_port()),
            "DYNAMODB_PORT": str(free_port()),
            "OPENROUTER_SIM_PORT": str(free_port()),
            "LOCAL_AWS_PORT": str(free_port()),
            "LOCAL_DATA_DIR": str(data_dir),
            "LOCAL_INSTANCES": "2",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        self.env = env | settings
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.dev"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr or ()), daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stdout or ():
            self.stdout.put(line)
        self.stdout.put(None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}"

    def wait_ready(self, timeout: float = 90.0) -> str:
        """The banner, once make dev has printed all of it."""
        deadline = time.monotonic() + timeout
        banner = ""
        while READY not in banner:
            line = self.stdout.get(timeout=max(0.0, deadline - time.monotonic()))
            assert line is not None, f"make dev ended before it was ready: {''.join(self.stderr)}"
            banner += line
        return banner

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self.process.stderr and self.process.stderr.close()
        return code

    def group(self) -> list[int]:
        """Processes still running in the group (zombies left to an init that doesn't reap them count as gone)."""
        return [pid for pid, (_, pgrp, state) in processes().items() if pgrp == self.process.pid and state != "Z"]

    def children(self, named: str) -> list[int]:
        return [pid for pid, (ppid, _, _) in processes().items() if ppid == self.process.pid and named in cmdline(pid)]

    def gone_within(self, seconds: float) -> float:
        """Wait until make dev and every process of its group have ended; how long that took."""
        start = time.monotonic()
        self.wait(seconds)
        while self.group():
            assert time.monotonic() - start < seconds, [cmdline(pid) for pid in self.group()]
            time.sleep(0.05)  # polling /proc with a deadline
        return time.monotonic() - start

    def wait_refusing(self, timeout: float = STOP_BOUND_S) -> None:
        """Until the API port refuses connections.

        A connect that races the listener's close is reset instead of refused (the kernel drops the half-open
        connection with the socket): the port is going away either way.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(self.env["PORT"])), timeout=1).close()
            except (ConnectionRefusedError, ConnectionResetError):
                return
            assert time.monotonic() < deadline, "the API is still listening"
            time.sleep(0.02)  # polling a port with a deadline

    def kill(self) -> None:
        """Clean up after a failed test: nothing of it may outlive the test."""
        if self.process.poll() is None or self.group():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def dev_processes(tmp_path: Path) -> Iterator[list[Dev]]:
    started: list[Dev] = []
    yield started
    for dev in started:
        dev.kill()


@pytest.fixture
def hanging_llm() -> Iterator[socket.socket]:
    """An LLM endpoint that accepts connections and never answers, so a chat request sticks inside its worker."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener


@pytest.mark.parametrize("presses", [1, 2], ids=["ctrl-c", "ctrl-c-again-while-stopping"])
def test_ctrl_c_stops_everything_even_a_worker_stuck_in_a_request(
    tmp_path: Path, dev_processes: list[Dev], hanging_llm: socket.socket, presses: int
) -> None:
    llm = f"http://127.0.0.1:{hanging_llm.getsockname()[1]}/api/v1"
    dev = Dev(tmp_path, OPENROUTER_BASE_URL=llm, OPENROUTER_API_KEY="sk-or-test", LLM_TIMEOUT_SECONDS="25")
    dev_processes.append(dev)
    key = dev.wait_ready().split("Bearer ")[1].split("'")[0]
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        f"{dev.url}/v1/chat",
        data=json.dumps({"prompt": "Where is my parcel?", "customerId": "c"}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    threading.Thread(target=_ignore_outcome, args=(request,), daemon=True).start()
    hanging_llm.settimeout(60)  # a bound on the cold start, not a synchronization
    upstream, _ = hanging_llm.accept()  # a worker is now inside the request, waiting on the LLM
    with upstream:
        start = time.monotonic()
        os.killpg(dev.process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        if presses == 2:
            dev.wait_refusing()  # the API is down: make dev is stopping the rest
            os.killpg(dev.process.pid, signal.SIGINT)
        dev.gone_within(STOP_BOUND_S)
        took = time.monotonic() - start
    assert dev.process.returncode == 0
    assert "Traceback" not in "".join(dev.stderr)
    print(f"\nCtrl-C x{presses} with a worker stuck mid-request: every process gone in {took:.2f}s")


def _ignore_outcome(request: urllib.request.Request) -> None:
    with contextlib.suppress(urllib.error.URLError, OSError):  # the stack went away under it: that is the point
        urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - loopback only


def test_sigterm_stops_everything(tmp_path: Path, dev_processes: list[Dev]) -> None:
    dev = Dev(tmp_path)
    dev_processes.append(dev)
    dev.wait_ready()
    assert dev.children("dynalite"), "dynalite is not running under make dev"
    dev.process.send_signal(signal.SIGTERM)  # to make dev alone: it stops the rest itself
    took = dev.gone_within(STOP_BOUND_S)
    assert dev.process.returncode == 0
    assert "Traceback" not in "".join(dev.stderr)
    print(f"\nSIGTERM: every process gone in {took:.2f}s")


def test_a_dead_dynalite_stops_the_stack_with_one_clear_line(tmp_path: Path, dev_processes: list[Dev]) -> None:
    dev = Dev(tmp_path)
    dev_processes.append(dev)
    dev.wait_ready()
    (dynalite,) = dev.children("dynalite")
    os.kill(dynalite, signal.SIGKILL)
    dev.gone_within(STOP_BOUND_S)
    assert dev.process.returncode != 0
    stderr = "".join(dev.stderr)
    assert [line for line in stderr.splitlines() if "dynalite" in line] == [
        "dynalite was killed by signal SIGKILL; stopping"
    ], stderr
    assert "Traceback" not in stderr


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("PORT", "abc", "PORT must be a port number"),
        ("PORT", "70000", "PORT must be a port number"),
        ("DYNAMODB_PORT", "-1", "DYNAMODB_PORT must be a port number"),
        ("OPENROUTER_SIM_PORT", "8o87", "OPENROUTER_SIM_PORT must be a port number"),
        ("LOCAL_INSTANCES", "0", "LOCAL_INSTANCES must be"),
        ("DEFAULT_DAILY_BUDGET", "ten", "DEFAULT_DAILY_BUDGET"),
        ("PORT", "in use", "already in use"),
        ("DYNAMODB_PORT", "in use", "already in use"),
        ("OPENROUTER_SIM_PORT", "in use", "already in use"),
        ("LOCAL_AWS_PORT", "in use", "already in use"),
        ("WINDOWS_PERIOD_SECONDS", "0", "WINDOWS_PERIOD_SECONDS must be a number of seconds"),
        ("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T/B/secret", "SLACK_WEBHOOK_URL must be an http(s) URL"),
    ],
)
def test_a_bad_setting_gets_one_clear_line_and_no_traceback(
    tmp_path: Path, dev_processes: list[Dev], port_in_use: int, name: str, value: str, said: str
) -> None:
    dev = Dev(tmp_path, **{name: str(port_in_use) if value == "in use" else value})
    dev_processes.append(dev)
    dev.gone_within(60)
    lines = "".join(dev.stderr).strip().splitlines()
    assert dev.process.returncode != 0
    assert len(lines) == 1 and name in lines[0] and said in lines[0], lines


def test_a_stopped_server_thread_is_reported_as_a_dead_part() -> None:
    """What make dev watches besides dynalite: the API's and the simulator's server threads."""
    config = StackConfig(port=0, dynamodb_port=0, instances=1, env={"POWERTOOLS_LOG_LEVEL": "WARNING"})
    with LocalStack(config) as stack:
        assert stack.failure() is None
        assert stack.simulator is not None and stack.gateway is not None
        stack.simulator.stop()
        assert stack.watch() == "the OpenRouter simulator's server thread ended"
        stack.gateway.stop()
        assert stack.watch() == "the API server thread ended"


def test_a_dead_alerts_part_is_reported() -> None:
    """The local SNS/SSM server, the alert delivery and the windows schedule are watched too."""
    config = StackConfig(port=0, dynamodb_port=0, instances=1, env={"POWERTOOLS_LOG_LEVEL": "WARNING"})
    with LocalStack(config, say=lambda line: None) as stack:
        assert stack.failure() is None
        assert stack.schedule is not None and stack.alerts is not None and stack.aws is not None
        stack.schedule.stop()
        assert stack.watch() == "the windows schedule thread ended"
        stack.alerts.stop()
        assert stack.watch() == "the alert delivery thread ended"
        stack.aws.stop()
        assert stack.watch() == "the local SNS/SSM server thread ended"


def test_a_make_dev_killed_outright_leaves_nothing_running(tmp_path: Path, dev_processes: list[Dev]) -> None:
    """SIGKILL gives make dev no chance to stop its parts (an OOM kill, a closed CI job): each must end by itself."""
    dev = Dev(tmp_path)
    dev_processes.append(dev)
    dev.wait_ready()
    assert dev.children("dynalite"), "dynalite runs as make dev's child"
    os.kill(dev.process.pid, signal.SIGKILL)  # the process only, not its group
    dev.gone_within(STOP_BOUND_S)  # dynalite, the function workers: every process of the group

"""Start and stop dynalite (DynamoDB on Node, installed by `make` from package.json) on a loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
DYNALITE = ROOT / "node_modules" / ".bin" / "dynalite"
EXIT_WITH_PARENT = Path(__file__).resolve().parent / "exit_with_parent.cjs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(endpoint: str, *, max_pool: int = 64) -> Any:
    """A DynamoDB client for a local endpoint; retries are left to the ledger's own loop."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - dynalite ignores credentials
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=max_pool,
            parameter_validation=False,
        ),
    )


@dataclass(frozen=True)
class Dynalite:
    endpoint: str
    process: subprocess.Popen[bytes]


@contextmanager
def running(port: int | None = None, data_dir: Path | None = None) -> Iterator[str]:
    """Run dynalite on 127.0.0.1 until the block ends; yields its endpoint URL."""
    with started(port, data_dir) as dynalite:
        yield dynalite.endpoint


@contextmanager
def started(port: int | None = None, data_dir: Path | None = None) -> Iterator[Dynalite]:
    """Run dynalite on 127.0.0.1 until the block ends; yields its endpoint and process (to watch it)."""
    if not DYNALITE.exists():
        raise RuntimeError(f"{DYNALITE} is missing: run `make node_modules` (npm ci) first")
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on the PATH: dynalite runs on Node (20 or later)")
    port = port or free_port()
    # Node runs dynalite with a preload that ends it when this process ends, however it ends (exit_with_parent.cjs):
    # it watches its stdin, a pipe only this process holds.
    args = [node, "--require", str(EXIT_WITH_PARENT), str(DYNALITE), "--host", "127.0.0.1", "--port", str(port)]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        args += ["--path", str(data_dir)]
    process = subprocess.Popen(  # noqa: S603 - our own binary
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_listening(process, port)
        yield Dynalite(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()  # dynalite exits at once on SIGTERM; a no-op if it has died
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def _wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"dynalite exited with code {process.returncode} on port {port}: {_reason(output)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling a port that is not open yet; not test synchronization
    raise RuntimeError(f"dynalite did not listen on port {port} within {timeout}s")


def _reason(output: str) -> str:
    """The line of Node's crash output that says what went wrong (e.g. "Error: listen EADDRINUSE ...")."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return next((line for line in lines if "Error" in line), lines[-1] if lines else "no output")

"""Open-loop load: POST /api/v1/payments at a constant rate (wrk2-style).

Each request is started at its scheduled time whether or not earlier ones
have finished, on an idle keep-alive connection or a new one, and its latency
is counted from the scheduled start: a server that falls behind shows it in
the figures instead of slowing the driver down (no coordinated omission)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
# The server closes a keep-alive connection idle for `keepalive` seconds
# (gunicorn.conf.py: 5). A connection idle longer than this is not reused, as
# an HTTP client's pool drops it: reusing it raced the server's close and
# counted a request that was never served as an error.
IDLE_REUSE_S = 3.0


def _request(port: int, key: str, code: str, idempotency_key: str) -> bytes:
    body = json.dumps({"payment_code": code, "amount": 12_000, "reference": "bench"}).encode()
    head = (
        f"POST /api/v1/payments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
        f"Idempotency-Key: {idempotency_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(conn: Connection, request: bytes) -> tuple[int, bool]:
    """Send one request; returns (status, whether the connection stays open)."""
    reader, writer = conn
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


async def _run(port: int, key: str, codes: list[str], rate: float, salt: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    idle: list[tuple[Connection, float]] = []  # with when each became idle
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    start = loop.time() + 0.2

    async def one(index: int, code: str) -> None:
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        conn = _reusable(idle, loop.time()) or await asyncio.open_connection("127.0.0.1", port)
        try:
            status, keep = await _exchange(conn, _request(port, key, code, f"{salt}-{index}"))
        except (OSError, asyncio.IncompleteReadError):
            status, keep = 0, False
        latencies.append(loop.time() - scheduled)
        statuses[status] += 1
        if keep:
            idle.append((conn, loop.time()))
        else:
            conn[1].close()

    await asyncio.gather(*(one(i, code) for i, code in enumerate(codes)))
    for (_, writer), _since in idle:
        writer.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": len(codes) / rate,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "max_ms": latencies[-1] * 1000,
        "statuses": dict(statuses),
    }


def _reusable(idle: list[tuple[Connection, float]], now: float) -> Connection | None:
    """The most recently idle connection still fresh enough to reuse; staler
    ones are closed."""
    while idle:
        conn, since = idle.pop()
        if now - since < IDLE_REUSE_S:
            return conn
        conn[1].close()
    return None


def open_loop(*, port: int, key: str, codes: list[str], rate: float, salt: str) -> dict[str, Any]:
    """One request per code, `rate` a second."""
    return asyncio.run(_run(port, key, codes, rate, salt))

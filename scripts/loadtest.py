#!/usr/bin/env python3
"""Load test for `latentty serve`, loopback only and bounded in requests and time.

Starts nothing itself: scripts/loadtest.sh starts the server and passes its port and pid.
Scenarios: throughput and latency at concurrency 1-32, RSS before/after 10,000 requests,
slowloris (trickled bodies from another loopback address) while well-behaved clients are
measured, oversized bodies and oversized work, malformed HTTP, and overload past --queue.
Standard library only (asyncio), so it runs wherever Python 3.11 does.
"""
import argparse
import asyncio
import json
import os
import random
import statistics
import struct
import time

SHAPE = (1, 4, 64, 64)  # an SD v1.5 512×512 latent, as diffusers' remote_decode tests send
QUERY = "output_type=pil&image_format=jpg&" + "&".join(f"shape={n}" for n in SHAPE) + "&dtype=float16"


def latent_body():
    rng = random.Random(13)
    count = SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3]
    return struct.pack(f"<{count}e", *(rng.gauss(0, 1) for _ in range(count)))


BODY = latent_body()


def request_bytes(query=QUERY, body=BODY, extra=""):
    head = f"POST /?{query} HTTP/1.1\r\nHost: loopback\r\nContent-Type: tensor/binary\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


async def read_answer(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


class Client:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, port, source="127.0.0.1"):
        self.port, self.source, self.reader, self.writer = port, source, None, None

    async def send(self, payload):
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(
                        "127.0.0.1", self.port, local_addr=(self.source, 0))
                self.writer.write(payload)
                await self.writer.drain()
                status, headers, body = await read_answer(self.reader)
                if headers.get("connection") == "close":
                    self.close()
                return status, headers, body
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 1:
                    raise

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def closed_loop(port, concurrency, total, payload=None):
    """`total` requests over `concurrency` keep-alive connections; statuses and latencies."""
    payload = payload or request_bytes()
    latencies, statuses = [], {}
    remaining = [total]

    async def worker():
        client = Client(port)
        while remaining[0] > 0:
            remaining[0] -= 1
            start = time.perf_counter()
            try:
                status, _, _ = await client.send(payload)
            except (ConnectionError, asyncio.IncompleteReadError):
                status = "error"
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
        client.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, statuses


async def throughput(port, levels, per_level):
    print("## throughput (512×512 SD latent → JPEG, keep-alive)")
    print("| concurrency | requests | req/s | p50 ms | p99 ms | statuses |")
    print("| --- | --- | --- | --- | --- | --- |")
    for concurrency in levels:
        seconds, latencies, statuses = await closed_loop(port, concurrency, per_level)
        print(f"| {concurrency} | {per_level} | {per_level / seconds:.0f} | {percentile(latencies, 50) * 1e3:.1f} | "
              f"{percentile(latencies, 99) * 1e3:.1f} | {statuses} |")


async def soak(port, pid, total):
    before = rss_mb(pid)
    seconds, latencies, statuses = await closed_loop(port, 8, total)
    after = rss_mb(pid)
    print(f"\n## soak: {total} requests at concurrency 8 in {seconds:.1f} s ({total / seconds:.0f} req/s), statuses {statuses}")
    print(f"RSS before {before:.0f} MB, after {after:.0f} MB, peak (VmHWM) {rss_mb(pid, 'VmHWM'):.0f} MB")


async def slowloris(port, connections, seconds, good_concurrency):
    """Trickle one body byte every 5 s on many connections from 127.0.0.2 while well-behaved
    clients on 127.0.0.1 keep sending; count what each side gets."""
    outcomes = {}

    async def trickler():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
        except OSError as error:
            outcomes["connect failed"] = outcomes.get("connect failed", 0) + 1
            return
        payload = request_bytes()
        head_end = payload.index(b"\r\n\r\n") + 4
        writer.write(payload[:head_end])
        started = time.perf_counter()
        try:
            for offset in range(head_end, len(payload)):
                writer.write(payload[offset:offset + 1])
                await writer.drain()
                try:
                    status, _, _ = await asyncio.wait_for(read_answer(reader), 5)
                    key = f"{status} after {5 * round((time.perf_counter() - started) / 5):.0f} s"
                    outcomes[key] = outcomes.get(key, 0) + 1
                    return
                except asyncio.TimeoutError:
                    if time.perf_counter() - started > seconds:
                        outcomes["still open at the end"] = outcomes.get("still open at the end", 0) + 1
                        return
        except (ConnectionError, asyncio.IncompleteReadError):
            outcomes["closed without answer"] = outcomes.get("closed without answer", 0) + 1
        finally:
            writer.close()

    good = {"statuses": {}, "latencies": []}

    async def well_behaved(deadline):
        client = Client(port)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                status, _, _ = await client.send(request_bytes())
            except (ConnectionError, asyncio.IncompleteReadError):
                status = "error"
            good["latencies"].append(time.perf_counter() - start)
            good["statuses"][status] = good["statuses"].get(status, 0) + 1
        client.close()

    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(trickler() for _ in range(connections)), *(well_behaved(deadline) for _ in range(good_concurrency)))
    print(f"\n## slowloris: {connections} connections from 127.0.0.2 trickling 1 body byte / 5 s, {seconds} s")
    print(f"trickling connections: {dict(sorted(outcomes.items()))}")
    latencies = good["latencies"]
    print(f"well-behaved (127.0.0.1, concurrency {good_concurrency}): {good['statuses']}, "
          f"p50 {percentile(latencies, 50) * 1e3:.1f} ms, p99 {percentile(latencies, 99) * 1e3:.1f} ms")


async def raw_exchange(port, payload, read_timeout=10):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        start = time.perf_counter()
        status, _, body = await asyncio.wait_for(read_answer(reader), read_timeout)
        return status, body.decode(errors="replace"), time.perf_counter() - start
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError) as error:
        return type(error).__name__, "", 0
    finally:
        writer.close()


async def oversized(port, pid):
    print("\n## oversized")
    huge_head = (f"POST /?{QUERY} HTTP/1.1\r\nHost: loopback\r\nContent-Length: {600 << 20}\r\n\r\n").encode()
    status, body, seconds = await raw_exchange(port, huge_head + b"\0" * 65536)
    print(f"- body declared 600 MiB (over --max-body-mb 512): {status} in {seconds * 1e3:.1f} ms: {body}")
    # A 16.5 MB body asking for 129 frames of 720×1280 as pt: ~6 GB before the work budget.
    shape = (1, 16, 33, 90, 160)
    query = "output_type=pt&" + "&".join(f"shape={n}" for n in shape) + "&dtype=float16"
    count = 1
    for n in shape:
        count *= n
    peak_before = rss_mb(pid, "VmHWM")
    status, body, seconds = await raw_exchange(port, request_bytes(query, b"\0" * (count * 2)))
    print(f"- {count * 2 / 1e6:.1f} MB body asking for a 129×720×1280 pt decode: {status} in {seconds * 1e3:.1f} ms: {body}")
    print(f"  peak RSS before {peak_before:.0f} MB, after {rss_mb(pid, 'VmHWM'):.0f} MB")


async def malformed(port):
    print("\n## malformed")
    cases = {
        "unknown method BREW": b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
        "PUT /": b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "GET /nope": b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
        "Content-Length: 12abc": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n",
        "1 MB header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n",
        "bad chunk size": f"POST /?{QUERY} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".encode(),
        "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    }
    for name, payload in cases.items():
        status, body, _ = await raw_exchange(port, payload)
        print(f"- {name}: {status} {body}")


async def overload(port, concurrency, total):
    seconds, latencies, statuses = await closed_loop(port, concurrency, total)
    print(f"\n## overload: {total} requests at concurrency {concurrency} (--queue 16, --workers 2) in {seconds:.1f} s")
    print(f"statuses {statuses}, p50 {percentile(latencies, 50) * 1e3:.1f} ms, p99 {percentile(latencies, 99) * 1e3:.1f} ms")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--per-level", type=int, default=500)
    parser.add_argument("--soak", type=int, default=10000)
    parser.add_argument("--slowloris", type=int, default=200)
    parser.add_argument("--slowloris-seconds", type=int, default=30)
    args = parser.parse_args()
    await throughput(args.port, [1, 2, 4, 8, 16, 32], args.per_level)
    await soak(args.port, args.pid, args.soak)
    await slowloris(args.port, args.slowloris, args.slowloris_seconds, 4)
    await oversized(args.port, args.pid)
    await malformed(args.port)
    await overload(args.port, 48, 2000)
    print(f"\nRSS at the end {rss_mb(args.pid):.0f} MB")


asyncio.run(main())

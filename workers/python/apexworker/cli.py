"""Command line: ``python3 workers/python/apex_worker.py [options]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Optional, Sequence

from .redis import parse_redis_address
from .worker import Worker, WorkerConfig, default_worker_id

log = logging.getLogger("apex.worker")


def _env(*names: str) -> Optional[str]:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="apex_worker.py",
        description="Apex reference worker: runs Simulated-agent tasks from Redis per docs/worker-protocol.md.")
    p.add_argument("--redis", default=None,
                   help="HOST:PORT, redis://[user:password@]host:port[/db] or a StackExchange.Redis connection "
                        "string (default: env APEX_REDIS, then ConnectionStrings__Redis, then 127.0.0.1:6379)")
    p.add_argument("--prefix", default=_env("Apex__Redis__Prefix") or "apex",
                   help="key prefix (default: env Apex__Redis__Prefix or 'apex')")
    p.add_argument("--worker-id", default=None, help="consumer and lease owner name (default: host-pid)")
    p.add_argument("--concurrency", type=int, default=64, help="executions at once (default 64)")
    p.add_argument("--lease-ttl-ms", type=int, default=30_000, help="lease TTL; heartbeats every third (default 30000)")
    p.add_argument("--dispatch-ttl-ms", type=int, default=600_000,
                   help="how long a reported attempt's 'done' lease lives while its result waits to be applied; "
                        "the orchestrator's Apex:Redis:DispatchTtl (default 600000)")
    p.add_argument("--heartbeat-ms", type=int, default=None, help="heartbeat interval (default lease TTL / 3)")
    p.add_argument("--latency-ms", type=float, default=200, help="Simulated latency per call (default 200)")
    p.add_argument("--latency-jitter", type=float, default=0.5, help="Simulated latency ± fraction (default 0.5)")
    p.add_argument("--drain-seconds", type=float, default=30.0,
                   help="on SIGTERM/SIGINT, how long running attempts may finish before they are released "
                        "(default 30)")
    p.add_argument("--block-ms", type=int, default=2_000,
                   help="XREADGROUP BLOCK timeout; a stop waits for the read in flight (default 2000)")
    p.add_argument("--resp", type=int, choices=(2, 3), default=2, help="RESP protocol version (default 2)")
    p.add_argument("--log-level", default=os.environ.get("APEX_LOG_LEVEL", "INFO"),
                   help="DEBUG, INFO, WARNING, ERROR (default INFO)")
    return p


def config_from_args(args: argparse.Namespace) -> WorkerConfig:
    address = args.redis or _env("APEX_REDIS", "ConnectionStrings__Redis") or "127.0.0.1:6379"
    return WorkerConfig(
        redis=parse_redis_address(address),
        prefix=args.prefix,
        worker_id=args.worker_id or default_worker_id(),
        concurrency=args.concurrency,
        lease_ttl_ms=args.lease_ttl_ms,
        dispatch_ttl_ms=args.dispatch_ttl_ms,
        heartbeat_ms=args.heartbeat_ms,
        latency_ms=args.latency_ms,
        latency_jitter=args.latency_jitter,
        drain_seconds=args.drain_seconds,
        block_ms=args.block_ms,
        protocol=args.resp,
    )


async def _serve(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, worker.request_stop)
        except (NotImplementedError, RuntimeError):  # not on the main thread, or Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(worker.request_stop))
    await worker.run()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
        worker = Worker(config)
    except ValueError as e:
        print(f"apex_worker: {e}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(worker))
    except KeyboardInterrupt:
        return 130
    except Exception:
        log.exception("worker failed")
        return 1
    return 0

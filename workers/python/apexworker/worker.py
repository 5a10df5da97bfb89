"""The worker: reads work from ``{prefix}:work``, fences each attempt with its lease, runs the Simulated agent,
heartbeats, and reports to ``{prefix}:results``, all as docs/worker-protocol.md specifies."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .redis import RedisAddress, RedisClient, ReplyError, Script, Subscriber, with_retries
from . import contracts
from .simulated import PROVIDER_NAME, SimulatedAgent, SimulatedProviderError, cost_of, format_cost, input_tokens

log = logging.getLogger("apex.worker")

PROTOCOL_VERSION = "1"
WORK_GROUP = "apex-workers"
LUA_DIR = Path(__file__).resolve().parent.parent / "lua"

ACQUIRE = Script((LUA_DIR / "acquire.lua").read_text(encoding="utf-8"), "acquire")
EXTEND = Script((LUA_DIR / "extend.lua").read_text(encoding="utf-8"), "extend")
RELEASE = Script((LUA_DIR / "release.lua").read_text(encoding="utf-8"), "release")

# Why an attempt stopped before its agent call returned.
TIMEOUT = "timeout"
CANCELLED = "cancelled"
LOST = "lost"
RELEASED = "released"


def now_ms() -> int:
    return int(time.time() * 1000)


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class WorkerConfig:
    redis: RedisAddress = field(default_factory=RedisAddress)
    prefix: str = "apex"
    worker_id: str = field(default_factory=default_worker_id)
    concurrency: int = 64
    lease_ttl_ms: int = 30_000
    heartbeat_ms: Optional[int] = None  # default lease_ttl_ms / 3
    dispatch_ttl_ms: int = 600_000  # how long a finished attempt's "done" lease guards its result in the stream
    latency_ms: float = 200
    latency_jitter: float = 0.5
    drain_seconds: float = 30.0
    block_ms: int = 2_000
    protocol: int = 2

    def validate(self) -> None:
        # 'dispatched' is the owner the orchestrator writes; Apex.Redis also reserves 'done'.
        if not self.worker_id or "|" in self.worker_id or self.worker_id in ("dispatched", "done"):
            raise ValueError("worker id must be non-empty, must not contain '|' and must not be 'dispatched' or 'done'")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.lease_ttl_ms < 30:
            raise ValueError("lease TTL must be at least 30 ms")
        if self.dispatch_ttl_ms < self.lease_ttl_ms:
            raise ValueError("dispatch TTL must be at least the lease TTL")
        if self.heartbeat_ms is not None and not 0 < self.heartbeat_ms < self.lease_ttl_ms:
            raise ValueError("heartbeat interval must be positive and shorter than the lease TTL")
        if self.drain_seconds < 0 or self.latency_ms < 0 or self.latency_jitter < 0 or self.block_ms < 1:
            raise ValueError("drain seconds, latency and jitter must be >= 0; block ms >= 1")
        if self.protocol not in (2, 3):
            raise ValueError("protocol must be 2 or 3")

    @property
    def heartbeat_seconds(self) -> float:
        return (self.heartbeat_ms if self.heartbeat_ms is not None else self.lease_ttl_ms / 3) / 1000.0


class Keys:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.work = f"{prefix}:work"
        self.results = f"{prefix}:results"
        self.control = f"{prefix}:control"

    def lease(self, task_id: str) -> str:
        return f"{self.prefix}:lease:{task_id}"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"


@dataclass
class Execution:
    """One work message being handled, from acquire to release."""

    entry_id: str
    fields: dict[str, str]
    task_id: str
    attempt: int
    phase: str = "acquiring"  # acquiring → running → finishing
    held: bool = False  # this worker owns the lease: heartbeats extend it
    stop_reason: Optional[str] = None
    agent_task: Optional[asyncio.Task] = None
    task: Optional[asyncio.Task] = None
    started_at: int = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.task_id.lower(), self.attempt)

    def stop(self, reason: str) -> bool:
        """Interrupts the attempt for ``reason`` unless it is already finishing or stopping."""
        if self.phase == "finishing" or self.stop_reason is not None:
            return False
        if self.agent_task is not None and self.agent_task.done():
            return False
        self.stop_reason = reason
        if self.agent_task is not None:
            self.agent_task.cancel()
        return True


class Worker:
    def __init__(self, config: WorkerConfig, agent: Optional[SimulatedAgent] = None):
        config.validate()
        self.config = config
        self.keys = Keys(config.prefix)
        self.agent = agent or SimulatedAgent(latency_ms=config.latency_ms, latency_jitter=config.latency_jitter)
        self.executions: dict[str, Execution] = {}  # by work entry id
        self.stopping = False
        self.started_at = now_ms()
        # asyncio.Event binds to the running loop on first use, so these can be made before the loop runs.
        self._changed = asyncio.Event()  # an execution ended, or a stop was requested
        self._stop_requested = asyncio.Event()
        self._force = asyncio.Event()
        self._stop_requests = 0
        self._cmd: Optional[RedisClient] = None
        self._reader: Optional[RedisClient] = None
        self._subscriber: Optional[Subscriber] = None
        self._background: set[asyncio.Task] = set()
        self._rescan_pending = False  # an entry was left pending: read this consumer's pending list again
        self.ready = asyncio.Event()  # set once the worker reads work

    # -- lifecycle -----------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """First call: stop reading and drain. Second call: give every remaining attempt back now."""
        self._stop_requests += 1
        if self._stop_requests == 1:
            log.info("stop requested: no new work; draining for up to %.1f s", self.config.drain_seconds)
        else:
            log.info("second stop request: releasing the remaining attempts now")
            self._force.set()
        self.stopping = True
        self._stop_requested.set()
        self._changed.set()

    async def run(self) -> None:
        cfg = self.config
        name = f"apex-worker:{cfg.worker_id}"
        self._cmd = RedisClient(cfg.redis, protocol=cfg.protocol, client_name=name)
        self._reader = RedisClient(cfg.redis, protocol=cfg.protocol, client_name=name + ":read")
        log.info("worker %s starting: redis %s, prefix %s, concurrency %d, lease TTL %d ms, heartbeat %.0f ms",
                 cfg.worker_id, cfg.redis, cfg.prefix, cfg.concurrency, cfg.lease_ttl_ms,
                 cfg.heartbeat_seconds * 1000)
        heartbeat: Optional[asyncio.Task] = None
        reader: Optional[asyncio.Task] = None
        try:
            try:
                await with_retries(lambda: self._cmd.xgroup_create(self.keys.work, WORK_GROUP, "0"),
                                   what="creating the work group", should_stop=lambda: self.stopping)
            except (ConnectionError, OSError, asyncio.TimeoutError):
                if self.stopping:
                    return
                raise
            self._subscriber = Subscriber(cfg.redis, self.keys.control, self._on_control, protocol=cfg.protocol,
                                          client_name=name + ":control",
                                          ping_interval=max(cfg.heartbeat_seconds, 1.0))
            self._subscriber.start()
            if not await self._subscriber.wait_subscribed(5.0):
                log.warning("not yet subscribed to %s; cancels may be missed until it is", self.keys.control)
            await self._write_presence()
            heartbeat = asyncio.create_task(self._heartbeat_loop(), name="heartbeat")
            reader = asyncio.create_task(self._read_loop(), name="reader")
            self.ready.set()
            await self._stop_requested.wait()
            await self._drain(reader)
        finally:
            for task in (reader, heartbeat):
                if task is not None and not task.done():
                    task.cancel()
                    try:
                        await task
                    except BaseException:
                        pass
            if self._subscriber is not None:
                await self._subscriber.stop()
            try:
                await asyncio.wait_for(self._cmd.execute("DEL", self.keys.worker(cfg.worker_id)), 2.0)
            except Exception:
                pass
            await self._cmd.close()
            await self._reader.close()
            log.info("worker %s stopped", cfg.worker_id)

    async def _drain(self, reader: asyncio.Task) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.drain_seconds
        while (self.executions or not reader.done()) and not self._force.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._changed.clear()
            waiters = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(self._force.wait())]
            if not reader.done():
                waiters.append(reader)
            done, pending = await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters[:2]:
                if not w.done():
                    w.cancel()
        released = [e for e in self.executions.values() if e.stop(RELEASED)]
        if released:
            log.info("drain: releasing %d attempt(s) still running", len(released))
        # The reader ends after its current blocking read; what it got after the stop is released at once.
        try:
            await reader
        except BaseException as e:
            if not isinstance(e, asyncio.CancelledError):
                log.warning("reader ended with %r", e)
        while self.executions:
            for e in list(self.executions.values()):
                e.stop(RELEASED)
            tasks = [e.task for e in self.executions.values() if e.task is not None]
            if not tasks:
                break
            await asyncio.wait(tasks)
        if self._background:
            await asyncio.wait(list(self._background), timeout=self.config.lease_ttl_ms / 1000.0)

    # -- reading -------------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        cfg = self.config
        backlog_id: Optional[str] = "0"  # first this consumer's own pending entries (a restart with the same id)
        delay = 0.1
        while not self.stopping:
            free = cfg.concurrency - len(self.executions)
            if free <= 0:
                self._changed.clear()
                if cfg.concurrency - len(self.executions) <= 0 and not self.stopping:
                    await self._changed.wait()
                continue
            if self._rescan_pending:
                self._rescan_pending = False
                backlog_id = "0"
                await asyncio.sleep(1.0)  # what made the acquire fail may still be there
                continue
            try:
                if backlog_id is not None:
                    entries = await self._reader.xreadgroup(WORK_GROUP, cfg.worker_id, self.keys.work,
                                                            backlog_id, count=free)
                    if entries:
                        backlog_id = entries[-1][0]
                        new = sum(1 for entry_id, _ in entries if entry_id not in self.executions)
                        if new:
                            log.info("resuming %d entr(ies) left pending for consumer %s", new, cfg.worker_id)
                    else:
                        backlog_id = None
                else:
                    entries = await self._reader.xreadgroup(WORK_GROUP, cfg.worker_id, self.keys.work, ">",
                                                            count=free, block_ms=cfg.block_ms)
                delay = 0.1
            except ReplyError as e:
                backlog_id = "0"
                if e.code == "NOGROUP":
                    log.warning("work group missing (%s); creating it", e.message)
                    await self._safe(self._cmd.xgroup_create(self.keys.work, WORK_GROUP, "0"))
                else:
                    log.error("reading work failed: %s", e.message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            except (ConnectionError, OSError, asyncio.TimeoutError) as e:
                # A reply lost with the connection may have moved entries into this consumer's pending list:
                # read that list again before new work.
                backlog_id = "0"
                log.warning("reading work failed (%s); retrying in %.1f s", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            for entry_id, fields in entries:
                self._spawn(entry_id, fields, run_agent=not self.stopping)

    def _spawn(self, entry_id: str, fields: Optional[dict[str, str]], run_agent: bool) -> None:
        if entry_id in self.executions:
            return  # already being handled (a backlog re-read)
        if fields is None:  # a pending entry whose message was deleted: nothing to run
            self._in_background(self._ack_and_delete(entry_id))
            return
        task_id = (fields.get("task_id") or "").strip()
        try:
            attempt = int(fields.get("attempt") or "")
        except ValueError:
            attempt = 0
        if not task_id or attempt < 1:
            log.error("work entry %s is malformed (task_id %r, attempt %r); deleting it", entry_id,
                      fields.get("task_id"), fields.get("attempt"))
            self._in_background(self._ack_and_delete(entry_id))
            return
        if fields.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
            log.warning("work entry %s has protocol version %r (expected %s); handling it as version %s",
                        entry_id, fields.get("v"), PROTOCOL_VERSION, PROTOCOL_VERSION)
        execution = Execution(entry_id=entry_id, fields=fields, task_id=task_id, attempt=attempt)
        if any(e.key == execution.key for e in self.executions.values()):
            # The acquire script answers ok to the lease's own owner, so a second delivery of an attempt this
            # worker is already running must be caught here: it is a duplicate, like 'taken'.
            log.info("task %s attempt %d delivered again (entry %s) while running here: duplicate dropped",
                     task_id, attempt, entry_id)
            self._in_background(self._ack_and_delete(entry_id))
            return
        self.executions[entry_id] = execution
        execution.task = asyncio.create_task(self._execute(execution, run_agent), name=f"task:{task_id}")

    def _in_background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- one attempt ---------------------------------------------------------------------------------

    async def _execute(self, e: Execution, run_agent: bool) -> None:
        cfg = self.config
        lease_key = self.keys.lease(e.task_id)
        try:
            try:
                status = await with_retries(
                    lambda: ACQUIRE(self._cmd, [lease_key], [e.attempt, cfg.worker_id, cfg.lease_ttl_ms]),
                    what=f"acquiring the lease of task {e.task_id}",
                    should_stop=lambda: e.stop_reason == RELEASED or self._force.is_set())
            except (ConnectionError, OSError, asyncio.TimeoutError, ReplyError) as err:
                log.error("task %s attempt %d: cannot acquire the lease (%s); the entry stays pending",
                          e.task_id, e.attempt, err)
                self._rescan_pending = True
                return
            if status != "ok":
                log.info("task %s attempt %d: lease %s; dropping entry %s", e.task_id, e.attempt, status, e.entry_id)
                await self._ack_and_delete(e.entry_id)
                return
            e.held = True
            e.started_at = now_ms()
            log.debug("task %s attempt %d started (entry %s)", e.task_id, e.attempt, e.entry_id)
            if not run_agent and e.stop_reason is None:
                e.stop_reason = RELEASED
            result = await self._run_agent(e) if e.stop_reason is None else self._interrupted(e, e.stop_reason)
            e.phase = "finishing"
            if result is None:  # lease lost: the orchestrator re-queues the task; a result would be ignored
                log.warning("task %s attempt %d: lease lost; stopped without a result", e.task_id, e.attempt)
                e.held = False
                await self._ack_and_delete(e.entry_id)
                return
            await self._finish(e, result)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("task %s attempt %d: unexpected failure in the worker", e.task_id, e.attempt)
        finally:
            self.executions.pop(e.entry_id, None)
            self._changed.set()

    async def _run_agent(self, e: Execution) -> Optional[dict[str, Any]]:
        f = e.fields
        provider = (f.get("provider") or PROVIDER_NAME).strip()
        if provider.lower() != PROVIDER_NAME:
            return self._failure(e, "unsupported_provider",
                                 f"This worker runs only the '{PROVIDER_NAME}' provider, not '{provider}'.",
                                 retryable=True)
        time_limit_ms = _int_or_zero(f.get("time_limit_ms"))
        model = f.get("model") or PROVIDER_NAME
        messages = SimulatedAgent.messages(f.get("system_prompt"), f.get("instruction") or "")
        refused = contracts.unsupported(f) or contracts.refusal(f, model, input_tokens(messages))
        if refused is not None:
            log.info("task %s attempt %d refused: %s", e.task_id, e.attempt, refused.code)
            return self._failure(e, refused.code, refused.message, retryable=refused.retryable)
        e.phase = "running"
        e.agent_task = asyncio.create_task(self.agent.complete(messages, model), name=f"agent:{e.task_id}")
        timer = None
        if time_limit_ms > 0:
            timer = asyncio.get_running_loop().call_later(time_limit_ms / 1000.0, e.stop, TIMEOUT)
        try:
            chat = await e.agent_task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if e.stop_reason is None or (current is not None and current.cancelling()):
                raise
            return self._interrupted(e, e.stop_reason)
        except SimulatedProviderError as err:
            log.warning("task %s attempt %d failed: provider_error %s", e.task_id, e.attempt, err)
            return self._failure(e, "provider_error", str(err), retryable=False)
        except Exception as err:
            log.exception("task %s attempt %d: the agent crashed", e.task_id, e.attempt)
            return self._failure(e, "agent_error", str(err) or type(err).__name__, retryable=True)
        finally:
            if timer is not None:
                timer.cancel()
        cost = cost_of(model, chat.input_tokens, chat.output_tokens)
        return self._result(e, "succeeded", output=chat.text, input_tokens=chat.input_tokens,
                            output_tokens=chat.output_tokens, cost=format_cost(cost), api_calls=1)

    def _interrupted(self, e: Execution, reason: str) -> Optional[dict[str, Any]]:
        if reason == TIMEOUT:
            limit = _int_or_zero(e.fields.get("time_limit_ms"))
            log.warning("task %s attempt %d timed out after %d ms", e.task_id, e.attempt, limit)
            return self._failure(e, "timeout", f"The attempt exceeded its time limit of {limit} ms.", retryable=True)
        if reason == CANCELLED:
            log.info("task %s attempt %d cancelled", e.task_id, e.attempt)
            return self._failure(e, "cancelled", "The task was cancelled while running.", retryable=False)
        if reason == RELEASED:
            log.info("task %s attempt %d released (worker shutting down)", e.task_id, e.attempt)
            return self._result(e, "released", error_message="The worker shut down before the attempt finished.",
                                retryable=True)
        return None  # LOST

    def _failure(self, e: Execution, code: str, message: str, retryable: bool) -> dict[str, Any]:
        return self._result(e, "failed", error_code=code, error_message=message, retryable=retryable)

    def _result(self, e: Execution, outcome: str, *, output: str = "", error_code: str = "",
                error_message: str = "", retryable: bool = False, input_tokens: int = 0, output_tokens: int = 0,
                cost: str = "0", api_calls: int = 0) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "task_id": e.task_id,
            "tenant_id": e.fields.get("tenant_id", ""),
            "attempt": str(e.attempt),
            "worker": self.config.worker_id,
            "outcome": outcome,
            "output": output,
            "error_code": error_code,
            "error_message": error_message,
            "retryable": "1" if retryable else "0",
            "input_tokens": str(input_tokens),
            "output_tokens": str(output_tokens),
            "cost_usd": cost,
            "api_calls": str(api_calls),
            "started_at": str(e.started_at),
            "finished_at": str(now_ms()),
        }

    async def _finish(self, e: Execution, result: dict[str, Any]) -> None:
        """Step 4: result, then XACK + XDEL of the work entry, then release. Retries connection failures while
        the lease can still be ours (heartbeats keep extending it meanwhile)."""
        cfg = self.config
        deadline = asyncio.get_running_loop().time() + cfg.lease_ttl_ms / 1000.0 * 2
        try:
            result_id = await with_retries(lambda: self._cmd.xadd(self.keys.results, result),
                                           what=f"posting the result of task {e.task_id}", deadline=deadline)
        except (ConnectionError, OSError, asyncio.TimeoutError, ReplyError) as err:
            log.error("task %s attempt %d: result not posted (%s); the lease will expire and the task re-queue",
                      e.task_id, e.attempt, err)
            e.held = False
            return
        log.info("task %s attempt %d %s (result %s)", e.task_id, e.attempt, result["outcome"], result_id)
        await self._ack_and_delete(e.entry_id, deadline)
        e.held = False
        try:
            await with_retries(lambda: RELEASE(self._cmd, [self.keys.lease(e.task_id)], [e.attempt, cfg.worker_id, cfg.dispatch_ttl_ms]),
                               what=f"releasing the lease of task {e.task_id}", deadline=deadline)
        except (ConnectionError, OSError, asyncio.TimeoutError, ReplyError) as err:
            log.warning("task %s attempt %d: lease not released (%s); it expires on its own", e.task_id, e.attempt,
                        err)

    async def _ack_and_delete(self, entry_id: str, deadline: Optional[float] = None) -> None:
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + self.config.lease_ttl_ms / 1000.0

        async def ack_del() -> None:
            await asyncio.gather(self._cmd.xack(self.keys.work, WORK_GROUP, entry_id),
                                 self._cmd.xdel(self.keys.work, entry_id))

        try:
            await with_retries(ack_del, what=f"acknowledging work entry {entry_id}", deadline=deadline)
        except (ConnectionError, OSError, asyncio.TimeoutError, ReplyError) as err:
            log.warning("work entry %s not acknowledged (%s); the orchestrator reclaims it", entry_id, err)

    # -- heartbeats, presence, control ---------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        interval = self.config.heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await self._heartbeat()
            except Exception:
                log.exception("heartbeat failed")

    async def _heartbeat(self) -> None:
        cfg = self.config
        held = [e for e in self.executions.values() if e.held]
        if held:
            replies = await asyncio.gather(
                *(EXTEND(self._cmd, [self.keys.lease(e.task_id)], [e.attempt, cfg.worker_id, cfg.lease_ttl_ms])
                  for e in held), return_exceptions=True)
            for e, reply in zip(held, replies):
                if isinstance(reply, BaseException):
                    log.warning("heartbeat of task %s failed: %s", e.task_id, reply)
                elif reply == 0 and e.held:
                    e.held = False
                    if e.stop(LOST):
                        log.warning("task %s attempt %d: lease lost; stopping it", e.task_id, e.attempt)
        await self._safe(self._write_presence())

    async def _write_presence(self) -> None:
        key = self.keys.worker(self.config.worker_id)
        await asyncio.gather(
            self._cmd.hset(key, {
                "capacity": self.config.concurrency,
                "busy": len(self.executions),
                "language": "python",
                "started_at": self.started_at,
            }),
            self._cmd.pexpire(key, self.config.lease_ttl_ms))

    def _on_control(self, payload: Any) -> None:
        try:
            message = json.loads(payload)
        except (TypeError, ValueError):
            log.warning("control message is not JSON: %.200r", payload)
            return
        if not isinstance(message, dict) or message.get("type") != "cancel":
            return
        task_id = str(message.get("task_id") or "").strip().lower()
        attempt = message.get("attempt")
        try:
            attempt = int(attempt) if attempt is not None and attempt != "" else None
        except (TypeError, ValueError):
            log.warning("cancel with a bad attempt ignored: %.200r", payload)
            return
        for e in list(self.executions.values()):
            if e.task_id.lower() == task_id and (attempt is None or attempt <= 0 or e.attempt == attempt):
                if e.stop(CANCELLED):
                    log.info("task %s attempt %d: cancel received", e.task_id, e.attempt)

    @staticmethod
    async def _safe(awaitable: Any) -> None:
        try:
            await awaitable
        except (ConnectionError, OSError, asyncio.TimeoutError, ReplyError) as err:
            log.warning("redis call failed: %s", err)


def _int_or_zero(text: Optional[str]) -> int:
    try:
        return max(int((text or "").strip() or "0"), 0)
    except ValueError:
        return 0

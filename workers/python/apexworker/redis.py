"""A small asyncio Redis client: one pipelined connection per :class:`RedisClient`, Lua scripts with
EVALSHA → EVAL fallback, and a pub/sub :class:`Subscriber` on a connection of its own.

Commands sent on one connection are pipelined: each call writes its command at once and awaits its reply
in order, so many coroutines can share a connection. A blocking command (``XREADGROUP … BLOCK``) holds up
every command queued behind it, so blocking reads get a client of their own.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from .resp import NEED_MORE, ProtocolError, Push, ReplyError, RespParser, encode_command

log = logging.getLogger("apex.redis")

_PUBSUB_KINDS = frozenset({
    "message", "pmessage", "smessage", "subscribe", "psubscribe", "ssubscribe",
    "unsubscribe", "punsubscribe", "sunsubscribe",
})


@dataclass
class RedisAddress:
    """Where and how to connect."""

    host: str = "127.0.0.1"
    port: int = 6379
    username: Optional[str] = None
    password: Optional[str] = None
    db: int = 0

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" + (f"/{self.db}" if self.db else "")


def parse_redis_address(text: str) -> RedisAddress:
    """Parses ``HOST:PORT``, ``redis://[user:password@]host:port[/db]`` or a StackExchange.Redis connection
    string (``host:port,password=…,user=…,defaultDatabase=…``; other options are ignored, the first endpoint
    is used)."""
    text = (text or "").strip()
    if not text:
        raise ValueError("empty Redis address")
    if text.startswith(("redis://", "rediss://")):
        url = urllib.parse.urlsplit(text)
        if url.scheme == "rediss":
            raise ValueError("TLS (rediss://) is not supported by this worker")
        db = url.path.strip("/")
        return RedisAddress(
            host=url.hostname or "127.0.0.1",
            port=url.port or 6379,
            username=urllib.parse.unquote(url.username) if url.username else None,
            password=urllib.parse.unquote(url.password) if url.password else None,
            db=int(db) if db else 0,
        )
    address = RedisAddress()
    endpoint_seen = False
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" in part:
            key, _, value = part.partition("=")
            key = key.strip().lower()
            if key == "password":
                address.password = value
            elif key == "user":
                address.username = value
            elif key == "defaultdatabase":
                address.db = int(value)
            elif key == "ssl" and value.strip().lower() == "true":
                raise ValueError("TLS (ssl=true) is not supported by this worker")
            continue
        if endpoint_seen:
            continue
        endpoint_seen = True
        host, port = part, "6379"
        if part.startswith("["):  # [ipv6]:port
            host, _, rest = part[1:].partition("]")
            port = rest.lstrip(":") or "6379"
        elif part.count(":") == 1:
            host, port = part.split(":")
        address.host = host or "127.0.0.1"
        address.port = int(port)
    return address


class ConnectionClosed(ConnectionError):
    """The connection to Redis is gone; commands in flight on it have an unknown outcome."""


class RedisConnection:
    """One TCP connection. Use :meth:`execute` from any number of coroutines (pipelined, in order)."""

    def __init__(self, address: RedisAddress, *, protocol: int = 2, client_name: Optional[str] = None,
                 push_handler: Optional[Callable[[Push], None]] = None, connect_timeout: float = 5.0):
        self.address = address
        self.protocol = protocol
        self.client_name = client_name
        self.push_handler = push_handler
        self.connect_timeout = connect_timeout
        self.subscriber_mode = False
        self._reader: Optional[asyncio.StreamReader] = None
        self._writer: Optional[asyncio.StreamWriter] = None
        self._pending: collections.deque[asyncio.Future] = collections.deque()
        self._read_task: Optional[asyncio.Task] = None
        self._closed = True
        self._close_reason: Optional[BaseException] = None
        self._closed_event = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._closed

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.address.host, self.address.port), self.connect_timeout)
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            except OSError:
                pass
        self._closed = False
        self._close_reason = None
        self._closed_event = asyncio.Event()
        self._read_task = asyncio.get_running_loop().create_task(self._read_loop(), name="redis-reader")
        try:
            if self.protocol == 3:
                args: list[Any] = ["HELLO", 3]
                if self.address.password is not None:
                    args += ["AUTH", self.address.username or "default", self.address.password]
                await self.execute(*args)
            elif self.address.password is not None:
                if self.address.username:
                    await self.execute("AUTH", self.address.username, self.address.password)
                else:
                    await self.execute("AUTH", self.address.password)
            if self.address.db:
                await self.execute("SELECT", self.address.db)
            if self.client_name:
                try:
                    await self.execute("CLIENT", "SETNAME", self.client_name)
                except ReplyError:
                    pass  # a proxy may refuse CLIENT; the name is only a courtesy
        except BaseException:
            await self.close()
            raise

    def send(self, *args: Any) -> None:
        """Writes a command whose answer does not come as a reply (SUBSCRIBE): no future is queued."""
        if self._closed or self._writer is None:
            raise ConnectionClosed(f"not connected to Redis at {self.address}")
        self._writer.write(encode_command(*args))

    async def execute(self, *args: Any) -> Any:
        """Sends one command and returns its reply; an error reply raises :class:`ReplyError`."""
        if self._closed or self._writer is None:
            raise ConnectionClosed(f"not connected to Redis at {self.address}") from self._close_reason
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        # Queue the future and write in one step, so replies and futures stay in the same order.
        self._pending.append(future)
        self._writer.write(encode_command(*args))
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as e:
            self._fail(e)
        reply = await future
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    async def wait_closed(self) -> None:
        """Returns once the connection has failed or been closed."""
        await self._closed_event.wait()

    async def close(self) -> None:
        self._fail(ConnectionClosed("connection closed by the client"))
        task, self._read_task = self._read_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except BaseException:
                pass

    def _fail(self, reason: BaseException) -> None:
        if not self._closed:
            self._closed = True
            self._close_reason = reason
            if self._writer is not None:
                try:
                    self._writer.close()
                except Exception:
                    pass
            self._closed_event.set()
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(ConnectionClosed(str(reason)))

    def _is_push(self, value: Any) -> bool:
        if isinstance(value, Push):
            return True
        # RESP2 has no push type: in subscriber mode, pub/sub deliveries and (un)subscribe confirmations
        # arrive as ordinary arrays.
        return (self.subscriber_mode and isinstance(value, list) and len(value) >= 3
                and isinstance(value[0], str) and value[0].lower() in _PUBSUB_KINDS)

    async def _read_loop(self) -> None:
        parser = RespParser()
        reason: BaseException = ConnectionClosed(f"Redis at {self.address} closed the connection")
        try:
            assert self._reader is not None
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                parser.feed(data)
                while True:
                    value = parser.get()
                    if value is NEED_MORE:
                        break
                    if self._is_push(value):
                        if self.push_handler is not None:
                            try:
                                self.push_handler(Push(value))
                            except Exception:
                                log.exception("push handler failed")
                        continue
                    if not self._pending:
                        log.warning("unexpected reply from Redis dropped: %r", value)
                        continue
                    future = self._pending.popleft()
                    if not future.done():  # a caller that gave up still owns its slot in the order
                        future.set_result(value)
        except asyncio.CancelledError:
            reason = ConnectionClosed("connection closed by the client")
            raise
        except (ConnectionError, OSError, ProtocolError) as e:
            reason = ConnectionClosed(f"Redis connection to {self.address} failed: {e}")
        finally:
            self._fail(reason)


class RedisClient:
    """A lazily (re)connecting pipelined connection. After a connection failure the next command
    reconnects; commands that were in flight fail with :class:`ConnectionClosed`.

    A command that gets no reply within ``command_timeout`` seconds (plus its own BLOCK time, for blocking
    reads) is taken as a dead link: the connection is dropped, everything in flight on it fails, and
    :class:`asyncio.TimeoutError` is raised."""

    def __init__(self, address: RedisAddress, *, protocol: int = 2, client_name: Optional[str] = None,
                 connect_timeout: float = 5.0, command_timeout: Optional[float] = 30.0):
        self.address = address
        self.protocol = protocol
        self.client_name = client_name
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self._conn: Optional[RedisConnection] = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> RedisConnection:
        conn = self._conn
        if conn is not None and not conn.closed:
            return conn
        async with self._lock:
            if self._conn is None or self._conn.closed:
                conn = RedisConnection(self.address, protocol=self.protocol, client_name=self.client_name,
                                       connect_timeout=self.connect_timeout)
                try:
                    await conn.connect()
                except (OSError, asyncio.TimeoutError) as e:
                    raise ConnectionClosed(f"cannot connect to Redis at {self.address}: {e}") from e
                self._conn = conn
            return self._conn

    async def execute(self, *args: Any, extra_timeout: float = 0.0) -> Any:
        conn = await self._connection()
        if self.command_timeout is None:
            return await conn.execute(*args)
        try:
            return await asyncio.wait_for(conn.execute(*args), self.command_timeout + extra_timeout)
        except asyncio.TimeoutError:
            log.warning("no reply from Redis at %s in %.1f s; dropping the connection", self.address,
                        self.command_timeout + extra_timeout)
            await conn.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    # -- typed helpers -------------------------------------------------------------------------------

    async def ping(self) -> Any:
        return await self.execute("PING")

    async def xgroup_create(self, stream: str, group: str, start: str = "0") -> bool:
        """Creates the group (and the stream); returns False if the group already existed."""
        try:
            await self.execute("XGROUP", "CREATE", stream, group, start, "MKSTREAM")
            return True
        except ReplyError as e:
            if e.code == "BUSYGROUP":
                return False
            raise

    async def xreadgroup(self, group: str, consumer: str, stream: str, last_id: str = ">",
                         count: Optional[int] = None, block_ms: Optional[int] = None
                         ) -> list[tuple[str, Optional[dict[str, str]]]]:
        """Entries as ``(id, fields)``; ``fields`` is None for a pending entry that was deleted."""
        args: list[Any] = ["XREADGROUP", "GROUP", group, consumer]
        if count is not None:
            args += ["COUNT", count]
        if block_ms is not None:
            args += ["BLOCK", block_ms]
        args += ["STREAMS", stream, last_id]
        reply = await self.execute(*args, extra_timeout=(block_ms or 0) / 1000.0)
        return parse_xread_reply(reply, stream)

    async def xadd(self, stream: str, fields: dict[str, Any], entry_id: str = "*") -> str:
        args: list[Any] = ["XADD", stream, entry_id]
        for key, value in fields.items():
            args += [key, "" if value is None else value]
        return await self.execute(*args)

    async def xack(self, stream: str, group: str, *ids: str) -> int:
        return await self.execute("XACK", stream, group, *ids)

    async def xdel(self, stream: str, *ids: str) -> int:
        return await self.execute("XDEL", stream, *ids)

    async def hset(self, key: str, fields: dict[str, Any]) -> int:
        args: list[Any] = ["HSET", key]
        for k, v in fields.items():
            args += [k, v]
        return await self.execute(*args)

    async def pexpire(self, key: str, ms: int) -> int:
        return await self.execute("PEXPIRE", key, ms)


def _fields(raw: Any) -> Optional[dict[str, str]]:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    return {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}


def parse_xread_reply(reply: Any, stream: Optional[str] = None) -> list[tuple[str, Optional[dict[str, str]]]]:
    """Flattens an XREAD/XREADGROUP reply (RESP2 array of [stream, entries] or RESP3 map) to entries."""
    if reply is None:
        return []
    if isinstance(reply, dict):
        groups = list(reply.items())
    else:
        groups = [(item[0], item[1]) for item in reply]
    out: list[tuple[str, Optional[dict[str, str]]]] = []
    for name, entries in groups:
        if stream is not None and name != stream:
            continue
        for entry in entries or []:
            out.append((entry[0], _fields(entry[1] if len(entry) > 1 else None)))
    return out


class Script:
    """A Lua script run with EVALSHA, falling back to EVAL when the server does not know it (NOSCRIPT)."""

    def __init__(self, source: str, name: str = "script"):
        self.source = source
        self.name = name
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()

    async def __call__(self, client: RedisClient, keys: list[str], args: list[Any]) -> Any:
        try:
            return await client.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except ReplyError as e:
            if e.code != "NOSCRIPT":
                raise
        return await client.execute("EVAL", self.source, len(keys), *keys, *args)


class Subscriber:
    """Keeps one connection subscribed to a channel, reconnecting with backoff, and calls ``on_message``
    with each message's payload. A liveness PING every ``ping_interval`` seconds detects a dead link."""

    def __init__(self, address: RedisAddress, channel: str, on_message: Callable[[str], Any], *,
                 protocol: int = 2, client_name: Optional[str] = None, ping_interval: float = 10.0):
        self.address = address
        self.channel = channel
        self.on_message = on_message
        self.protocol = protocol
        self.client_name = client_name
        self.ping_interval = ping_interval
        self.subscribed = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._conn: Optional[RedisConnection] = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"subscriber:{self.channel}")

    async def wait_subscribed(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.subscribed.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except BaseException:
                pass
            self._task = None
        if self._conn is not None:
            await self._conn.close()

    def _on_push(self, push: Push) -> None:
        kind = push.kind.lower()
        if kind == "message" and len(push) >= 3:
            self.on_message(push[2])
        elif kind == "pmessage" and len(push) >= 4:
            self.on_message(push[3])
        elif kind == "subscribe":
            self.subscribed.set()

    async def _run(self) -> None:
        delay = 0.1
        while True:
            conn = RedisConnection(self.address, protocol=self.protocol, client_name=self.client_name,
                                   push_handler=self._on_push)
            self._conn = conn
            try:
                await conn.connect()
                conn.subscriber_mode = True
                conn.send("SUBSCRIBE", self.channel)
                while not conn.closed:
                    try:
                        await asyncio.wait_for(conn.wait_closed(), self.ping_interval)
                        log.warning("subscription to %s lost (connection closed); reconnecting in %.1f s",
                                    self.channel, delay)
                        break
                    except asyncio.TimeoutError:
                        pass
                    if not self.subscribed.is_set():
                        raise ConnectionClosed("SUBSCRIBE was not confirmed")
                    await asyncio.wait_for(conn.execute("PING"), self.ping_interval)
                    delay = 0.1
            except asyncio.CancelledError:
                raise
            except (ConnectionError, OSError, asyncio.TimeoutError, ReplyError) as e:
                log.warning("subscription to %s lost (%s); reconnecting in %.1f s", self.channel, e, delay)
            finally:
                self.subscribed.clear()
                await conn.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def with_retries(op: Callable[[], Awaitable[Any]], *, what: str, deadline: Optional[float] = None,
                       should_stop: Callable[[], bool] = lambda: False) -> Any:
    """Runs ``op`` until it succeeds, retrying connection failures with backoff until ``deadline``
    (loop time) passes or ``should_stop`` says so; then the last error is raised."""
    delay = 0.1
    loop = asyncio.get_running_loop()
    while True:
        try:
            return await op()
        except (ConnectionError, OSError, asyncio.TimeoutError) as e:
            if should_stop() or (deadline is not None and loop.time() + delay > deadline):
                raise
            log.warning("%s failed (%s); retrying in %.1f s", what, e, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

"""RESP (REdis Serialization Protocol) encoder and incremental decoder.

The worker speaks RESP2 by default but the decoder understands every RESP3 type as well (null, boolean,
double, big number, blob error, verbatim string, map, set, attribute, push, and the streamed forms), so the
same code works after ``HELLO 3`` or behind a proxy that answers in RESP3.

Decoded values:

=====================  ==============================================================
RESP type              Python value
=====================  ==============================================================
simple string ``+``    ``str``
error ``-`` / ``!``    :class:`ReplyError` (returned as a value, raised by the client)
integer ``:``          ``int``
bulk string ``$``      ``str`` (UTF-8, undecodable bytes replaced) or ``bytes`` when
                       ``decode=False``; null bulk ``$-1`` → ``None``
array ``*``            ``list``; null array ``*-1`` → ``None``
null ``_``             ``None``
boolean ``#``          ``bool``
double ``,``           ``float``
big number ``(``       ``int``
verbatim ``=``         ``str`` (the 3-letter format prefix is dropped)
map ``%``              ``dict`` (unhashable keys become tuples)
set ``~``              ``list`` (order kept)
attribute ``|``        skipped: the value that follows it is returned
push ``>``             :class:`Push` (a ``list``)
=====================  ==============================================================
"""

from __future__ import annotations

from typing import Any

CRLF = b"\r\n"


class ReplyError(Exception):
    """An error reply from the server, e.g. ``NOSCRIPT No matching script``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.code = message.split(" ", 1)[0] if message else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReplyError) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


class Push(list):
    """An out-of-band RESP3 push message (pub/sub delivery, invalidation, ...)."""

    @property
    def kind(self) -> str:
        head = self[0] if self else ""
        return head.decode() if isinstance(head, bytes) else str(head)


class ProtocolError(Exception):
    """The byte stream is not valid RESP: the connection must be dropped."""


class _Incomplete(Exception):
    pass


NEED_MORE = object()
"""Returned by :meth:`RespParser.get` when the buffer does not yet hold a whole value."""


def _to_bytes(arg: Any) -> bytes:
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, (bytearray, memoryview)):
        return bytes(arg)
    if isinstance(arg, bool):
        raise TypeError("booleans are ambiguous in Redis commands; pass 0/1 or a string")
    if isinstance(arg, int):
        return str(arg).encode("ascii")
    if isinstance(arg, float):
        return repr(arg).encode("ascii")
    raise TypeError(f"cannot encode {type(arg).__name__} as a Redis argument")


def encode_command(*args: Any) -> bytes:
    """Encodes a command as a RESP array of bulk strings (the only form servers accept from clients)."""
    if not args:
        raise ValueError("empty command")
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = _to_bytes(arg)
        parts.append(b"$%d\r\n" % len(data))
        parts.append(data)
        parts.append(CRLF)
    return b"".join(parts)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value


class RespParser:
    """Incremental decoder: :meth:`feed` bytes as they arrive, then call :meth:`get` until it returns
    :data:`NEED_MORE`."""

    def __init__(self, decode: bool = True, encoding: str = "utf-8"):
        self._buf = bytearray()
        self._decode = decode
        self._encoding = encoding

    def feed(self, data: bytes) -> None:
        self._buf.extend(data)

    def get(self) -> Any:
        if not self._buf:
            return NEED_MORE
        try:
            value, pos = self._parse(0)
        except _Incomplete:
            return NEED_MORE
        del self._buf[:pos]
        return value

    def values(self) -> list[Any]:
        """Every complete value in the buffer."""
        out = []
        while True:
            value = self.get()
            if value is NEED_MORE:
                return out
            out.append(value)

    # -- parsing -------------------------------------------------------------------------------------

    def _line(self, pos: int) -> tuple[bytes, int]:
        end = self._buf.find(CRLF, pos)
        if end < 0:
            raise _Incomplete
        return bytes(self._buf[pos:end]), end + 2

    def _blob(self, pos: int, length: int) -> tuple[bytes, int]:
        end = pos + length
        if len(self._buf) < end + 2:
            raise _Incomplete
        if self._buf[end:end + 2] != CRLF:
            raise ProtocolError("bulk string not terminated by CRLF")
        return bytes(self._buf[pos:end]), end + 2

    def _text(self, data: bytes) -> Any:
        return data.decode(self._encoding, "replace") if self._decode else data

    @staticmethod
    def _int(data: bytes) -> int:
        try:
            return int(data)
        except ValueError:
            raise ProtocolError(f"bad integer {data!r}") from None

    def _parse(self, pos: int) -> tuple[Any, int]:
        if pos >= len(self._buf):
            raise _Incomplete
        kind = self._buf[pos:pos + 1]
        line, pos = self._line(pos + 1)

        if kind == b"+":
            return self._text(line), pos
        if kind == b"-":
            return ReplyError(line.decode("utf-8", "replace")), pos
        if kind == b":":
            return self._int(line), pos
        if kind == b"$" or kind == b"=" or kind == b"!":
            if line == b"?":  # RESP3 streamed string: ;len chunks, ;0 ends
                chunks = []
                while True:
                    if pos >= len(self._buf):
                        raise _Incomplete
                    if self._buf[pos:pos + 1] != b";":
                        raise ProtocolError("expected a streamed string chunk")
                    size_line, pos = self._line(pos + 1)
                    size = self._int(size_line)
                    if size == 0:
                        break
                    chunk, pos = self._blob(pos, size)
                    chunks.append(chunk)
                data = b"".join(chunks)
            else:
                length = self._int(line)
                if length < 0:
                    return None, pos
                data, pos = self._blob(pos, length)
            if kind == b"!":
                return ReplyError(data.decode("utf-8", "replace")), pos
            if kind == b"=":
                data = data[4:] if len(data) >= 4 and data[3:4] == b":" else data
            return self._text(data), pos
        if kind == b"_":
            return None, pos
        if kind == b"#":
            if line not in (b"t", b"f"):
                raise ProtocolError(f"bad boolean {line!r}")
            return line == b"t", pos
        if kind == b",":
            text = line.decode("ascii", "replace").lower()
            try:
                return float({"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(text, text)), pos
            except ValueError:
                raise ProtocolError(f"bad double {line!r}") from None
        if kind == b"(":
            return self._int(line), pos
        if kind in (b"*", b"~", b">", b"%", b"|"):
            pairs = kind in (b"%", b"|")
            items: list[Any] = []
            if line == b"?":  # RESP3 streamed aggregate, ended by "."
                while True:
                    if pos >= len(self._buf):
                        raise _Incomplete
                    if self._buf[pos:pos + 1] == b".":
                        _, pos = self._line(pos + 1)
                        break
                    value, pos = self._parse(pos)
                    items.append(value)
            else:
                count = self._int(line)
                if count < 0:
                    return None, pos
                for _ in range(count * 2 if pairs else count):
                    value, pos = self._parse(pos)
                    items.append(value)
            if kind == b"|":
                # Attributes describe the next value; this client has no use for them.
                return self._parse(pos)
            if kind == b"%":
                return {_hashable(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}, pos
            if kind == b">":
                return Push(items), pos
            return items, pos
        raise ProtocolError(f"unknown RESP type byte {kind!r}")

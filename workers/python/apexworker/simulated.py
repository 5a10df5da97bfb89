"""The Simulated LLM provider, ported from ``src/Apex.Agents/Simulated/SimulatedChatClient.cs`` together
with the pricing of ``src/Apex.Agents/Pricing/PricingOptions.cs`` and the message shaping of
``AgentRunner`` (system prompt, when not blank, then the instruction).

The port is exact: text lengths are counted in UTF-16 code units as .NET does, the seed is the same
FNV-1a hash, and :class:`DotNetRandom` reproduces ``new System.Random(seed)`` (the seeded, .NET Framework
compatible generator), so for the same prompt this worker answers word for word what Apex.Worker answers,
with the same token counts, cost and latency.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Optional

PROVIDER_NAME = "simulated"
MARKER = "[simulated]"
ERROR_DIRECTIVE = "[[simulate:error]]"
ERROR_MESSAGE = "The prompt asked the Simulated provider to fail ([[simulate:error]])."

OPENERS = [
    "Key finding", "Observation", "Summary", "Next step", "Risk", "Recommendation", "Evidence", "Assumption",
]

WORDS = [
    "throughput", "latency", "agents", "contracts", "budget", "routing", "cascade", "approval", "queue", "lease",
    "durable", "event", "schema", "cost", "tokens", "retry", "backoff", "worker", "orchestrator", "dependency",
    "signal", "evidence", "market", "analysis", "report", "baseline", "variance", "forecast", "trend", "source",
]

_DELAY_DIRECTIVE = re.compile(r"\[\[simulate:delay=(?P<ms>\d{1,7})\]\]")

# char.IsWhiteSpace: Unicode Zs/Zl/Zp plus U+0009..U+000D, U+0085 (Python's str.isspace also takes U+001C..U+001F).
_DOTNET_WHITESPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000")
# string.ReplaceLineEndings: CRLF, CR, LF, NEL, LS, PS and FF.
_LINE_ENDINGS = re.compile("\r\n|[\r\n\x85\u2028\u2029\f]")

_U64 = (1 << 64) - 1
_INT_MAX = 2**31 - 1


def utf16_len(text: Optional[str]) -> int:
    """``string.Length`` in .NET: UTF-16 code units (a character outside the BMP counts 2)."""
    if not text:
        return 0
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def estimate_tokens(text: Optional[str]) -> int:
    """About four characters a token: ``(length + 3) / 4`` in UTF-16 code units, 0 for empty text."""
    return 0 if not text else (utf16_len(text) + 3) // 4


def input_tokens(messages: list[tuple[str, str]]) -> int:
    """Prompt tokens: each message's estimate plus 4 for its framing."""
    return sum(estimate_tokens(text) + 4 for _, text in messages)


def fnv1a(text: str) -> int:
    """64-bit FNV-1a over UTF-16 code units, as ``SimulatedChatClient.Fnv1a``."""
    h = 14695981039346656037
    data = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h = ((h ^ (data[i] | (data[i + 1] << 8))) * 1099511628211) & _U64
    return h


def _to_int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


class DotNetRandom:
    """``new System.Random(seed)``: Knuth's subtractive generator as .NET implements it for seeded use."""

    def __init__(self, seed: int):
        seed = _to_int32(seed)
        seed_array = [0] * 56
        subtraction = _INT_MAX if seed == -(2**31) else abs(seed)
        mj = 161803398 - subtraction
        seed_array[55] = mj
        mk = 1
        ii = 0
        for _ in range(1, 55):
            ii += 21
            if ii >= 55:
                ii -= 55
            seed_array[ii] = mk
            mk = _to_int32(mj - mk)  # int arithmetic wraps in C#
            if mk < 0:
                mk += _INT_MAX
            mj = seed_array[ii]
        for _ in range(1, 5):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                seed_array[i] = _to_int32(seed_array[i] - seed_array[1 + n])
                if seed_array[i] < 0:
                    seed_array[i] += _INT_MAX
        self._seed_array = seed_array
        self._inext = 0
        self._inextp = 21

    def _internal_sample(self) -> int:
        inext = self._inext + 1
        if inext >= 56:
            inext = 1
        inextp = self._inextp + 1
        if inextp >= 56:
            inextp = 1
        value = _to_int32(self._seed_array[inext] - self._seed_array[inextp])
        if value == _INT_MAX:
            value -= 1
        if value < 0:
            value += _INT_MAX
        self._seed_array[inext] = value
        self._inext = inext
        self._inextp = inextp
        return value

    def sample(self) -> float:
        return self._internal_sample() * (1.0 / _INT_MAX)

    def next(self, max_value: Optional[int] = None) -> int:
        """``Next()`` without an argument, ``Next(maxValue)`` with one."""
        if max_value is None:
            return self._internal_sample()
        return int(self.sample() * max_value)


def _dotnet_strip(text: str) -> str:
    start, end = 0, len(text)
    while start < end and text[start] in _DOTNET_WHITESPACE:
        start += 1
    while end > start and text[end - 1] in _DOTNET_WHITESPACE:
        end -= 1
    return text[start:end]


def is_null_or_whitespace(text: Optional[str]) -> bool:
    return not text or all(c in _DOTNET_WHITESPACE for c in text)


def _truncate_utf16(text: str, units: int) -> str:
    data = text.encode("utf-16-le", "surrogatepass")[: units * 2]
    return data.decode("utf-16-le", "replace")  # a pair cut in half becomes U+FFFD, as UTF-8 encoding does in .NET


def compose(instruction: str, seed: int) -> str:
    """The answer text: marker, subject line, then 2–5 bullet points of 6–15 words drawn from the seed."""
    subject = _dotnet_strip(_LINE_ENDINGS.sub(" ", instruction))
    if utf16_len(subject) > 160:
        subject = _truncate_utf16(subject, 157) + "..."
    out = [MARKER, " Response to: ", subject, "\n"]
    rng = DotNetRandom(_to_int32(seed) ^ _to_int32(seed >> 32))
    points = 2 + rng.next(4)
    for _ in range(points):
        out.append("- ")
        out.append(OPENERS[rng.next(len(OPENERS))])
        out.append(": ")
        words = 6 + rng.next(10)
        out.append(" ".join(WORDS[rng.next(len(WORDS))] for _ in range(words)))
        out.append(".\n")
    return _dotnet_strip_end("".join(out))


def _dotnet_strip_end(text: str) -> str:
    end = len(text)
    while end > 0 and text[end - 1] in _DOTNET_WHITESPACE:
        end -= 1
    return text[:end]


# -- pricing ---------------------------------------------------------------------------------------------

# USD per million tokens (input, output), as PricingOptions' defaults; a model not listed costs nothing.
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "simulated": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "claude-3-5-haiku-latest": (Decimal("0.80"), Decimal("4.00")),
    "claude-sonnet-4-0": (Decimal("3.00"), Decimal("15.00")),
}

_NANO = Decimal("0.000000001")


def cost_of(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """Cost of a call rounded to 1e-9 dollars (banker's rounding, as ``Math.Round(decimal, 9)``)."""
    price = PRICES.get((model or "").lower())
    if price is None:
        return Decimal(0).quantize(_NANO)
    raw = (input_tokens * price[0] + output_tokens * price[1]) / Decimal(1_000_000)
    return raw.quantize(_NANO, rounding=ROUND_HALF_EVEN)


def format_cost(cost: Decimal) -> str:
    """Invariant decimal string as .NET prints the rounded cost: fixed point, no trailing zeros, never an
    exponent (``0.0000297``, ``0``)."""
    text = format(cost.quantize(_NANO, rounding=ROUND_HALF_EVEN).normalize(), "f")
    return "0" if text in ("-0", "") else text


# -- the client ------------------------------------------------------------------------------------------

class SimulatedProviderError(Exception):
    """A failure the prompt asked for (``[[simulate:error]]``)."""


@dataclass
class ChatResult:
    text: str
    input_tokens: int
    output_tokens: int
    model: str


@dataclass
class SimulatedAgent:
    """The Simulated provider with its latency settings (``Apex:Simulated:LatencyMs`` / ``LatencyJitter``)."""

    latency_ms: float = 200
    latency_jitter: float = 0.5
    sleep: object = field(default=asyncio.sleep, repr=False)

    @staticmethod
    def messages(system_prompt: Optional[str], instruction: str) -> list[tuple[str, str]]:
        """As ``AgentRunner``: the system prompt (unless blank) then the instruction as the user message."""
        if is_null_or_whitespace(system_prompt):
            return [("user", instruction or "")]
        return [("system", system_prompt or ""), ("user", instruction or "")]

    def latency_for(self, prompt: str, seed: int) -> float:
        """Milliseconds this prompt waits: the delay directive, else the latency with its ± jitter."""
        directive = _DELAY_DIRECTIVE.search(prompt)
        if directive:
            return float(int(directive.group("ms")))
        latency = float(self.latency_ms)
        if latency > 0 and self.latency_jitter > 0:
            unit = (seed % 10_000) / 10_000.0
            latency *= 1 + (self.latency_jitter * ((2 * unit) - 1))
        return latency

    async def complete(self, messages: list[tuple[str, str]], model: str = "simulated") -> ChatResult:
        """One call: waits its latency (cancellable), fails on the error directive, else answers."""
        prompt = "".join(text for _, text in messages)
        seed = fnv1a(prompt)
        latency = self.latency_for(prompt, seed)
        if latency >= 1:
            await self.sleep(latency / 1000.0)
        else:
            await asyncio.sleep(0)  # a cancellation already requested is honoured, as ThrowIfCancellationRequested
        if ERROR_DIRECTIVE in prompt:
            raise SimulatedProviderError(ERROR_MESSAGE)
        users = [text for role, text in messages if role == "user"]
        last_user = users[-1] if users else prompt
        text = compose(last_user, seed)
        return ChatResult(text=text, input_tokens=input_tokens(messages), output_tokens=estimate_tokens(text),
                          model=model)

"""What this worker can honour of a work message, and the task's contract before its one LLM call.

The reference worker makes exactly one Simulated call per attempt and offers no tools, so it enforces a task's own
limits the way the .NET worker does before a call: it reserves the call's worst case (the prompt's tokens plus
``DEFAULT_MAX_OUTPUT_TOKENS``, their price, one call) against what the task's earlier attempts used
(``used_*``), and refuses the call when that does not fit. What it cannot honour (a cascade, tools, an output schema,
a DAG's shared budget, which the .NET worker keeps in Redis with its budget scripts) it refuses as
``unsupported_by_worker``, retryable, so another attempt can run on a .NET worker (docs/worker-protocol.md).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, Optional

from .simulated import cost_of

# Apex:Contracts:DefaultMaxOutputTokens of the .NET worker.
DEFAULT_MAX_OUTPUT_TOKENS = 1024

UNSUPPORTED = "unsupported_by_worker"


class Refusal(NamedTuple):
    """Why the attempt makes no call: the task's error code and message, and whether another attempt may help."""

    code: str
    message: str
    retryable: bool


def unsupported(fields: dict[str, str]) -> Optional[Refusal]:
    """A refusal when the message asks for something this worker does not do, else None."""
    needs = []
    settings = _json(fields.get("agent_settings"))
    if isinstance(settings, dict):
        if settings.get("cascade"):
            needs.append("a cascade")
        tools = settings.get("tools") or {}
        if isinstance(tools, dict) and (tools.get("allowed_tools") or tools.get("mcp_servers")):
            needs.append("tools")
        if settings.get("output_schema"):
            needs.append("an output schema")
    if (fields.get("output_schema") or "").strip() and "an output schema" not in needs:
        needs.append("an output schema")
    if any((fields.get(k) or "").strip() for k in ("dag_token_limit", "dag_cost_limit", "dag_api_call_limit")):
        needs.append("a DAG budget")
    if not needs:
        return None
    return Refusal(UNSUPPORTED, "The Python reference worker does not run " + ", ".join(needs)
                   + "; another attempt may run on a .NET worker.", True)


def refusal(fields: dict[str, str], model: str, prompt_tokens: int) -> Optional[Refusal]:
    """The contract violation the task's next call would be, else None (reserve-before-call, as the .NET meter)."""
    tokens = prompt_tokens + DEFAULT_MAX_OUTPUT_TOKENS
    used_tokens = _int(fields.get("used_tokens"))
    token_limit = _optional_int(fields.get("token_limit"))
    if token_limit is not None and used_tokens + tokens > token_limit:
        return Refusal("token_limit_exceeded", f"The task's limit of {token_limit} tokens has {max(0, token_limit - used_tokens)} left; "
                       f"the next LLM call could use {tokens}.", False)
    cost_limit = _optional_decimal(fields.get("cost_limit"))
    used_cost = _optional_decimal(fields.get("used_cost_usd")) or Decimal(0)
    cost = cost_of(model, prompt_tokens, DEFAULT_MAX_OUTPUT_TOKENS)
    if cost_limit is not None and used_cost + cost > cost_limit:
        return Refusal("cost_limit_exceeded", f"The task's limit of ${cost_limit} has ${max(Decimal(0), cost_limit - used_cost)} left; "
                       f"the next LLM call could cost ${cost}.", False)
    call_limit = _optional_int(fields.get("api_call_limit"))
    if call_limit is not None and _int(fields.get("used_api_calls")) + 1 > call_limit:
        return Refusal("api_call_limit_exceeded", f"The task's limit of {call_limit} API calls is used up.", False)
    return None


def _json(text: Optional[str]) -> object:
    if not (text or "").strip():
        return None
    try:
        return json.loads(text)  # type: ignore[arg-type]
    except ValueError:
        return None


def _int(text: Optional[str]) -> int:
    value = _optional_int(text)
    return 0 if value is None else value


def _optional_int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if (text or "").strip() else None
    except ValueError:
        return None


def _optional_decimal(text: Optional[str]) -> Optional[Decimal]:
    try:
        return Decimal(text) if (text or "").strip() else None
    except InvalidOperation:
        return None

"""Tests of the Python reference worker.

    python3 -m unittest discover -s workers/python/tests -v

The RESP, address and Simulated-agent tests need nothing. The protocol tests need a Redis given as
APEX_TEST_REDIS=HOST:PORT (``source .ci/services.sh && svc_start`` exports one); without it they are skipped,
unless CI=true, where a missing Redis is a failure. Each test uses its own random key prefix and deletes its
keys afterwards. The tests play the orchestrator: they write the lease and the work message exactly as
docs/worker-protocol.md says and read what the worker leaves in Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import unittest
import uuid
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # workers/python
sys.path.insert(0, ROOT)

from apexworker import contracts  # noqa: E402
from apexworker import simulated as sim  # noqa: E402
from apexworker.redis import (RedisAddress, RedisClient, Script, Subscriber, parse_redis_address,  # noqa: E402
                              parse_xread_reply)
from apexworker.resp import NEED_MORE, ProtocolError, Push, ReplyError, RespParser, encode_command  # noqa: E402
from apexworker.worker import ACQUIRE, EXTEND, RELEASE, WORK_GROUP, Worker, WorkerConfig  # noqa: E402

REDIS = os.environ.get("APEX_TEST_REDIS", "").strip()
CI = os.environ.get("CI", "").strip().lower() == "true"

logging.basicConfig(stream=sys.stderr, level=os.environ.get("APEX_TEST_LOG_LEVEL", "WARNING").upper(),
                    format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")


# ---------------------------------------------------------------------------------------------------------
# RESP encoder / decoder (no Redis)
# ---------------------------------------------------------------------------------------------------------

def decode_all(data: bytes, decode: bool = True) -> list:
    parser = RespParser(decode=decode)
    parser.feed(data)
    return parser.values()


class RespEncoderTests(unittest.TestCase):
    def test_command_is_an_array_of_bulk_strings(self):
        self.assertEqual(encode_command("SET", "k", "v"), b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")

    def test_numbers_bytes_and_utf8(self):
        self.assertEqual(encode_command("PEXPIRE", "k", 3000), b"*3\r\n$7\r\nPEXPIRE\r\n$1\r\nk\r\n$4\r\n3000\r\n")
        self.assertEqual(encode_command(b"\x00\r\n"), b"*1\r\n$3\r\n\x00\r\n\r\n")
        self.assertEqual(encode_command("é"), b"*1\r\n$2\r\n\xc3\xa9\r\n")  # length in bytes, not characters
        self.assertEqual(encode_command(""), b"*1\r\n$0\r\n\r\n")

    def test_rejects_what_redis_cannot_take(self):
        with self.assertRaises(ValueError):
            encode_command()
        with self.assertRaises(TypeError):
            encode_command("SET", "k", None)
        with self.assertRaises(TypeError):
            encode_command("SET", "k", True)


class RespDecoderTests(unittest.TestCase):
    def test_resp2_types(self):
        data = (b"+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n"
                b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n")
        values = decode_all(data)
        self.assertEqual(values[:4], ["OK", ReplyError("ERR wrong"), 42, -7])
        self.assertEqual(values[4:8], ["hello", "", None, None])
        self.assertEqual(values[8], [1, "a", ["x"]])
        self.assertEqual(values[1].code, "ERR")

    def test_bulk_strings_are_binary_safe(self):
        self.assertEqual(decode_all(b"$4\r\na\r\nb\r\n"), ["a\r\nb"])
        self.assertEqual(decode_all(b"$3\r\n\xff\x00a\r\n", decode=False), [b"\xff\x00a"])
        self.assertEqual(decode_all("$2\r\né\r\n".encode()), ["é"])

    def test_resp3_types(self):
        data = (b"_\r\n#t\r\n#f\r\n,3.5\r\n,inf\r\n,-inf\r\n(3492890328409238509324850943850943825024385\r\n"
                b"=15\r\ntxt:Some string\r\n!21\r\nSYNTAX invalid syntax\r\n"
                b"%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n*1\r\n:2\r\n"
                b"~2\r\n+a\r\n+b\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\ndata\r\n")
        values = decode_all(data)
        self.assertIsNone(values[0])
        self.assertIs(values[1], True)
        self.assertIs(values[2], False)
        self.assertEqual(values[3:6], [3.5, float("inf"), float("-inf")])
        self.assertEqual(values[6], 3492890328409238509324850943850943825024385)
        self.assertEqual(values[7], "Some string")
        self.assertEqual(values[8], ReplyError("SYNTAX invalid syntax"))
        self.assertEqual(values[9], {"first": 1, "second": [2]})
        self.assertEqual(values[10], ["a", "b"])
        self.assertIsInstance(values[11], Push)
        self.assertEqual(values[11].kind, "message")
        self.assertEqual(list(values[11]), ["message", "ch", "data"])

    def test_attribute_is_skipped(self):
        data = b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n"
        self.assertEqual(decode_all(data), [[2039123, 9543892]])

    def test_streamed_string_and_aggregate(self):
        data = b"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n*?\r\n:1\r\n:2\r\n.\r\n"
        self.assertEqual(decode_all(data), ["Hello word", [1, 2]])

    def test_map_with_aggregate_keys(self):
        self.assertEqual(decode_all(b"%1\r\n*2\r\n:1\r\n:2\r\n+v\r\n"), [{(1, 2): "v"}])

    def test_incremental_feeding_byte_by_byte(self):
        data = b"*2\r\n$5\r\nhello\r\n%1\r\n+k\r\n*2\r\n:1\r\n$3\r\nabc\r\n+OK\r\n"
        parser = RespParser()
        got = []
        for i in range(len(data)):
            parser.feed(data[i:i + 1])
            while (value := parser.get()) is not NEED_MORE:
                got.append(value)
        self.assertEqual(got, [["hello", {"k": [1, "abc"]}], "OK"])

    def test_incomplete_returns_need_more_and_keeps_the_bytes(self):
        parser = RespParser()
        parser.feed(b"$10\r\nhello")
        self.assertIs(parser.get(), NEED_MORE)
        parser.feed(b"world\r\n")
        self.assertEqual(parser.get(), "helloworld")
        self.assertIs(parser.get(), NEED_MORE)

    def test_garbage_is_a_protocol_error(self):
        with self.assertRaises(ProtocolError):
            decode_all(b"?what\r\n")
        with self.assertRaises(ProtocolError):
            decode_all(b":12x\r\n")
        with self.assertRaises(ProtocolError):
            decode_all(b"$2\r\nabcd\r\n")

    def test_xreadgroup_reply_shapes(self):
        resp2 = [["apex:work", [["1-0", ["task_id", "t", "attempt", "1"]], ["2-0", None]]]]
        resp3 = {"apex:work": [["1-0", ["task_id", "t", "attempt", "1"]]]}
        expected = [("1-0", {"task_id": "t", "attempt": "1"})]
        self.assertEqual(parse_xread_reply(resp2, "apex:work"), expected + [("2-0", None)])
        self.assertEqual(parse_xread_reply(resp3, "apex:work"), expected)
        self.assertEqual(parse_xread_reply(None, "apex:work"), [])


class AddressTests(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(parse_redis_address("10.0.0.5:6380"), RedisAddress("10.0.0.5", 6380))
        self.assertEqual(parse_redis_address("redis-host"), RedisAddress("redis-host", 6379))
        self.assertEqual(parse_redis_address("redis://u:p%40ss@h:7000/2"), RedisAddress("h", 7000, "u", "p@ss", 2))
        self.assertEqual(parse_redis_address("h1:6379,h2:6379,password=secret,abortConnect=false,defaultDatabase=3"),
                         RedisAddress("h1", 6379, None, "secret", 3))
        self.assertEqual(parse_redis_address("[::1]:6390"), RedisAddress("::1", 6390))
        with self.assertRaises(ValueError):
            parse_redis_address("")
        with self.assertRaises(ValueError):
            parse_redis_address("h:1,ssl=true")


# ---------------------------------------------------------------------------------------------------------
# Simulated agent (no Redis)
# ---------------------------------------------------------------------------------------------------------

class ContractTests(unittest.TestCase):
    """The reference worker's contract check before its one call (docs/worker-protocol.md, contract fields)."""

    PROMPT = 100  # prompt tokens of the call: it reserves 100 + 1024

    def refusal(self, **fields):
        return contracts.refusal({k: str(v) for k, v in fields.items()}, "gpt-4o", self.PROMPT)

    def test_a_call_that_fits_every_limit_is_allowed(self):
        self.assertIsNone(self.refusal(token_limit=20_000, cost_limit="0.25", api_call_limit=50))
        self.assertIsNone(self.refusal())  # no limits at all

    def test_token_limit_counts_earlier_attempts_and_the_whole_reservation(self):
        self.assertIsNone(self.refusal(token_limit=1_124))
        refused = self.refusal(token_limit=1_124, used_tokens=1)
        self.assertEqual(("token_limit_exceeded", False), (refused.code, refused.retryable))
        self.assertEqual("token_limit_exceeded", self.refusal(token_limit=500).code)

    def test_cost_limit_prices_the_reservation_at_the_models_price(self):
        # gpt-4o: $2.50 in, $10 out per million: 100 in + 1,024 out reserve $0.01049.
        self.assertIsNone(self.refusal(cost_limit="0.0105"))
        self.assertEqual("cost_limit_exceeded", self.refusal(cost_limit="0.0105", used_cost_usd="0.0001").code)

    def test_api_call_limit_used_up_refuses(self):
        self.assertIsNone(self.refusal(api_call_limit=2, used_api_calls=1))
        self.assertEqual("api_call_limit_exceeded", self.refusal(api_call_limit=2, used_api_calls=2).code)

    def test_what_this_worker_cannot_honour_is_refused_retryably(self):
        self.assertIsNone(contracts.unsupported({"agent_settings": "", "output_schema": "", "dag_token_limit": ""}))
        for fields in ({"agent_settings": json.dumps({"cascade": ["a", "b"]})},
                       {"agent_settings": json.dumps({"tools": {"allowed_tools": ["calculator"], "max_steps": 4}})},
                       {"output_schema": json.dumps({"type": "object"})},
                       {"dag_cost_limit": "1.5"}):
            refused = contracts.unsupported(fields)
            self.assertIsNotNone(refused, fields)
            self.assertEqual(("unsupported_by_worker", True), (refused.code, refused.retryable))


class SimulatedAgentTests(unittest.TestCase):
    def test_token_formula(self):
        self.assertEqual(sim.estimate_tokens(""), 0)
        self.assertEqual(sim.estimate_tokens(None), 0)
        self.assertEqual(sim.estimate_tokens("a"), 1)
        self.assertEqual(sim.estimate_tokens("abcd"), 1)
        self.assertEqual(sim.estimate_tokens("abcde"), 2)
        self.assertEqual(sim.estimate_tokens("x" * 400), 100)
        self.assertEqual(sim.estimate_tokens("🎉"), 1)  # two UTF-16 code units, as .NET counts
        self.assertEqual(sim.estimate_tokens("🎉🎉🎉"), 2)
        # input: every message's estimate + 4
        self.assertEqual(sim.input_tokens([("user", "Hello")]), 2 + 4)
        self.assertEqual(sim.input_tokens([("system", "You are terse."), ("user", "Hello")]), 4 + 4 + 2 + 4)
        self.assertEqual(sim.input_tokens([("user", "")]), 4)

    def test_system_prompt_blank_is_left_out(self):
        self.assertEqual(sim.SimulatedAgent.messages("  \n", "go"), [("user", "go")])
        self.assertEqual(sim.SimulatedAgent.messages("", "go"), [("user", "go")])
        self.assertEqual(sim.SimulatedAgent.messages("be brief", "go"), [("system", "be brief"), ("user", "go")])

    def test_answers_exactly_as_the_dotnet_client(self):
        # Vectors produced by SimulatedChatClient's Compose/Fnv1a/EstimateTokens and PricingOptions on .NET 10.
        agent = sim.SimulatedAgent(latency_ms=0)
        chat = asyncio.run(agent.complete(agent.messages("", "Hello")))
        self.assertEqual(chat.text, "[simulated] Response to: Hello\n"
                                    "- Summary: cost contracts variance contracts retry retry queue throughput.\n"
                                    "- Recommendation: report cascade backoff latency worker durable event agents "
                                    "report.")
        self.assertEqual((chat.input_tokens, chat.output_tokens), (6, 48))
        self.assertEqual(sim.format_cost(sim.cost_of("simulated", 6, 48)), "0.0000297")
        chat = asyncio.run(agent.complete(agent.messages("You are terse.",
                                                         "Research the market for LLM agent orchestrators.")))
        self.assertTrue(chat.text.startswith("[simulated] Response to: Research the market for LLM agent "
                                             "orchestrators.\n- Next step: tokens throughput schema latency"))
        self.assertTrue(chat.text.endswith("- Observation: signal queue forecast analysis worker baseline."))
        self.assertEqual((chat.input_tokens, chat.output_tokens), (24, 154))
        self.assertEqual(sim.format_cost(sim.cost_of("simulated", 24, 154)), "0.000096")
        self.assertEqual(sim.fnv1a("Hello"), 7201466553693376363)
        self.assertAlmostEqual(sim.SimulatedAgent().latency_for("Hello", sim.fnv1a("Hello")), 227.26, places=6)

    def test_dotnet_random(self):
        # new System.Random(seed): eight Next(30) then three Next(), printed by .NET 10.
        expected = {
            0: [21, 24, 23, 16, 6, 16, 27, 13, 2099272109, 587775847, 626863973],
            42: [20, 4, 3, 15, 5, 7, 21, 15, 372913049, 1634773126, 503774878],
            -(2**31): [21, 24, 23, 16, 6, 16, 27, 13, 2099272109, 587775835, 626863973],
            -987654321: [20, 10, 26, 7, 28, 13, 9, 19, 1549113722, 501546534, 1344148671],
        }
        for seed, values in expected.items():
            rng = sim.DotNetRandom(seed)
            self.assertEqual([rng.next(30) for _ in range(8)] + [rng.next() for _ in range(3)], values, seed)

    def test_subject_is_one_line_and_truncated(self):
        text = sim.compose("  line one\r\nline two\nthree  ", 1)
        self.assertTrue(text.startswith("[simulated] Response to: line one line two three\n"))
        text = sim.compose("x" * 300, 1)
        self.assertTrue(text.startswith("[simulated] Response to: " + "x" * 157 + "...\n"))
        lines = text.split("\n")
        self.assertTrue(2 <= len(lines) - 1 <= 5)
        for line in lines[1:]:
            self.assertTrue(line.startswith("- ") and line.endswith("."), line)
            self.assertTrue(6 <= len(line.split(": ", 1)[1].split(" ")) <= 15, line)

    def test_output_tokens_follow_the_text(self):
        agent = sim.SimulatedAgent(latency_ms=0)
        chat = asyncio.run(agent.complete(agent.messages("sys", "Summarise the plan")))
        self.assertEqual(chat.output_tokens, (len(chat.text) + 3) // 4)
        self.assertEqual(chat.input_tokens, (3 + 3) // 4 + 4 + (18 + 3) // 4 + 4)

    def test_cost_rounding(self):
        self.assertEqual(sim.cost_of("simulated", 1_000_000, 1_000_000), Decimal("0.75"))
        self.assertEqual(sim.cost_of("SIMULATED", 1, 0), Decimal("0.00000015").quantize(Decimal("1e-9")))
        self.assertEqual(sim.cost_of("gpt-4o", 1, 1), Decimal("0.0000125"))
        self.assertEqual(sim.cost_of("unknown-model", 100, 100), 0)
        # 5 * 0.15 / 1e6 = 0.00000075 exactly; 3 * 0.15 / 1e6 = 0.00000045; both already 9-decimal
        self.assertEqual(sim.format_cost(sim.cost_of("simulated", 3, 0)), "0.00000045")
        self.assertEqual(sim.format_cost(sim.cost_of("nothing", 3, 0)), "0")
        # banker's rounding at the 10th decimal: 0.0000000005 → 0, 0.0000000015 → 0.000000002
        self.assertEqual(sim.format_cost(Decimal("0.0000000005")), "0")
        self.assertEqual(sim.format_cost(Decimal("0.0000000015")), "0.000000002")

    def test_error_directive_fails_after_the_latency(self):
        slept = []

        async def fake_sleep(seconds):
            slept.append(seconds)

        agent = sim.SimulatedAgent(latency_ms=100, latency_jitter=0, sleep=fake_sleep)
        with self.assertRaises(sim.SimulatedProviderError) as ctx:
            asyncio.run(agent.complete(agent.messages("", "please [[simulate:error]]")))
        self.assertEqual(str(ctx.exception), "The prompt asked the Simulated provider to fail ([[simulate:error]]).")
        self.assertEqual(slept, [0.1])

    def test_delay_directive_and_jitter(self):
        agent = sim.SimulatedAgent(latency_ms=200, latency_jitter=0.5)
        self.assertEqual(agent.latency_for("x [[simulate:delay=1234]] y", 0), 1234.0)
        for seed in (0, 5_000, 9_999, 123_456_789):
            latency = agent.latency_for("x", seed)
            self.assertTrue(100 <= latency <= 300, latency)
        self.assertEqual(sim.SimulatedAgent(latency_ms=0).latency_for("x", 77), 0)


# ---------------------------------------------------------------------------------------------------------
# Against Redis: the test is the orchestrator
# ---------------------------------------------------------------------------------------------------------

def redis_address() -> RedisAddress:
    return parse_redis_address(REDIS)


class RedisTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        if not REDIS:
            if CI:
                self.fail("APEX_TEST_REDIS is not set but CI=true: the Redis tests must run in CI")
            self.skipTest("APEX_TEST_REDIS not set")
        self.prefix = f"apextest-{uuid.uuid4().hex[:12]}"
        self.redis = RedisClient(redis_address())
        await self.redis.ping()
        self.workers: list[tuple[Worker, asyncio.Task]] = []
        self.procs: list[subprocess.Popen] = []

    async def asyncTearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for worker, task in self.workers:
            if not task.done():
                worker.request_stop()
                worker.request_stop()
                try:
                    await asyncio.wait_for(task, 10)
                except BaseException:
                    task.cancel()
        cursor = "0"
        while True:
            cursor, keys = await self.redis.execute("SCAN", cursor, "MATCH", f"{self.prefix}:*", "COUNT", 1000)
            if keys:
                await self.redis.execute("DEL", *keys)
            if cursor == "0":
                break
        await self.redis.close()

    # -- orchestrator side ---------------------------------------------------------------------------

    def key(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    async def dispatch(self, instruction: str = "Summarise the findings.", *, task_id: str | None = None,
                       attempt: int = 1, lease_attempt: int | None = None, lease_owner: str = "dispatched",
                       write_lease: bool = True, time_limit_ms: int = 0, system_prompt: str = "",
                       provider: str = "simulated", model: str = "simulated", copies: int = 1) -> str:
        task_id = task_id or str(uuid.uuid4())
        if write_lease:
            lease = f"{lease_attempt if lease_attempt is not None else attempt}|{lease_owner}"
            await self.redis.execute("SET", self.key(f"lease:{task_id}"), lease, "PX", 600_000)
        fields = {
            "v": "1", "task_id": task_id, "tenant_id": "tenant-1", "attempt": str(attempt), "agent": "default",
            "provider": provider, "model": model, "system_prompt": system_prompt, "instruction": instruction,
            "time_limit_ms": str(time_limit_ms), "dispatched_at": str(int(time.time() * 1000)), "traceparent": "",
        }
        for _ in range(copies):
            await self.redis.xadd(self.key("work"), fields)
        return task_id

    async def results(self) -> list[dict[str, str]]:
        entries = await self.redis.execute("XRANGE", self.key("results"), "-", "+")
        return [dict(zip(e[1][::2], e[1][1::2])) for e in entries]

    async def wait_results(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while True:
            got = await self.results()
            if len(got) >= count or time.monotonic() > deadline:
                return got
            await asyncio.sleep(0.05)

    async def wait_until(self, predicate, timeout: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)

    async def lease(self, task_id: str):
        return await self.redis.execute("GET", self.key(f"lease:{task_id}"))

    async def wait_running(self, task_id: str, worker_id: str, timeout: float = 10.0) -> None:
        async def held():
            return (await self.lease(task_id) or "").endswith("|" + worker_id)
        await self.wait_until(held, timeout, f"task {task_id} to be leased by {worker_id}")

    async def assert_work_stream_empty(self) -> None:
        self.assertEqual(await self.redis.execute("XLEN", self.key("work")), 0)
        pending = await self.redis.execute("XPENDING", self.key("work"), WORK_GROUP)
        self.assertEqual(pending[0], 0)

    async def wait_work_stream_empty(self, timeout: float = 10.0) -> None:
        async def empty():
            pending = await self.redis.execute("XPENDING", self.key("work"), WORK_GROUP)
            return await self.redis.execute("XLEN", self.key("work")) == 0 and pending[0] == 0
        await self.wait_until(empty, timeout, "the work stream to be empty")

    # -- worker side ---------------------------------------------------------------------------------

    async def start_worker(self, **overrides) -> Worker:
        options = dict(redis=redis_address(), prefix=self.prefix, worker_id=f"py-{uuid.uuid4().hex[:8]}",
                       concurrency=4, lease_ttl_ms=3_000, latency_ms=20, drain_seconds=5, block_ms=200)
        options.update(overrides)
        worker = Worker(WorkerConfig(**options))
        task = asyncio.create_task(worker.run())
        self.workers.append((worker, task))
        ready = asyncio.create_task(worker.ready.wait())
        done, _ = await asyncio.wait([ready, task], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            await task  # raises what stopped it
            self.fail("worker stopped during start")
        self.assertIn(ready, done, "worker did not become ready")
        return worker

    async def stop_worker(self, worker: Worker, timeout: float = 15.0) -> None:
        for w, task in self.workers:
            if w is worker:
                worker.request_stop()
                await asyncio.wait_for(task, timeout)

    def assert_success(self, result: dict[str, str], task_id: str, worker: str, attempt: int = 1) -> None:
        self.assertEqual(result["v"], "1")
        self.assertEqual(result["task_id"], task_id)
        self.assertEqual(result["tenant_id"], "tenant-1")
        self.assertEqual(result["attempt"], str(attempt))
        self.assertEqual(result["worker"], worker)
        self.assertEqual(result["outcome"], "succeeded", result)
        self.assertTrue(result["output"].startswith("[simulated] Response to: "), result["output"])
        self.assertEqual(result["error_code"], "")
        self.assertEqual(result["retryable"], "0")
        self.assertGreater(int(result["input_tokens"]), 0)
        self.assertGreater(int(result["output_tokens"]), 0)
        self.assertEqual(int(result["output_tokens"]), (len(result["output"]) + 3) // 4)
        cost = Decimal(result["cost_usd"])  # a decimal string
        expected = sim.cost_of("simulated", int(result["input_tokens"]), int(result["output_tokens"]))
        self.assertEqual(cost, expected)
        self.assertGreater(cost, 0)
        self.assertEqual(result["api_calls"], "1")
        self.assertLessEqual(int(result["started_at"]), int(result["finished_at"]))
        self.assertGreater(int(result["started_at"]), 1_600_000_000_000)


class RedisClientTests(RedisTestCase):
    async def test_commands_pipelined_from_many_coroutines(self):
        key = self.key("counter")
        replies = await asyncio.gather(*(self.redis.execute("INCR", key) for _ in range(200)))
        self.assertEqual(sorted(replies), list(range(1, 201)))
        with self.assertRaises(ReplyError):
            await self.redis.execute("HSET", key, "f", "v")  # WRONGTYPE
        self.assertEqual(await self.redis.ping(), "PONG")

    async def test_resp3_hello(self):
        client = RedisClient(redis_address(), protocol=3)
        try:
            await client.hset(self.key("h"), {"a": 1, "b": "two"})
            self.assertEqual(await client.execute("HGETALL", self.key("h")), {"a": "1", "b": "two"})
            self.assertIsNone(await client.execute("GET", self.key("missing")))
        finally:
            await client.close()

    async def test_reconnects_after_the_connection_drops(self):
        client = RedisClient(redis_address(), client_name=f"{self.prefix}-victim")
        try:
            first_id = await client.execute("CLIENT", "ID")
            # A command in flight when the connection dies fails: its outcome is unknown.
            blocked = asyncio.create_task(client.execute("BLPOP", self.key("nothing"), 10))
            await asyncio.sleep(0.2)
            await self.redis.execute("CLIENT", "KILL", "ID", first_id)
            with self.assertRaises(ConnectionError):
                await asyncio.wait_for(blocked, 5)
            # The next command reconnects.
            self.assertEqual(await client.ping(), "PONG")
            self.assertNotEqual(await client.execute("CLIENT", "ID"), first_id)
        finally:
            await client.close()

    async def test_scripts_load_on_noscript_and_fence_the_lease(self):
        await self.redis.execute("SCRIPT", "FLUSH")
        key = self.key("lease:t1")
        self.assertEqual(await ACQUIRE(self.redis, [key], [1, "w1", 5000]), "lost")
        await self.redis.execute("SET", key, "2|dispatched")
        self.assertEqual(await ACQUIRE(self.redis, [key], [1, "w1", 5000]), "stale")
        await self.redis.execute("SET", key, "1|dispatched")
        self.assertEqual(await ACQUIRE(self.redis, [key], [1, "w1", 5000]), "ok")
        self.assertEqual(await self.redis.execute("GET", key), "1|w1")
        self.assertGreater(await self.redis.execute("PTTL", key), 4000)
        self.assertEqual(await ACQUIRE(self.redis, [key], [1, "w1", 5000]), "ok")  # its own owner again
        self.assertEqual(await ACQUIRE(self.redis, [key], [1, "w2", 5000]), "taken")
        self.assertEqual(await EXTEND(self.redis, [key], [1, "w2", 9000]), 0)
        self.assertEqual(await EXTEND(self.redis, [key], [1, "w1", 9000]), 1)
        self.assertGreater(await self.redis.execute("PTTL", key), 8000)
        self.assertEqual(await RELEASE(self.redis, [key], [1, "w2", 5000]), 0)
        self.assertEqual(await RELEASE(self.redis, [key], [2, "w1", 5000]), 0)
        self.assertEqual(await RELEASE(self.redis, [key], [1, "w1", 5000]), 1)
        self.assertEqual(await self.redis.execute("GET", key), "1|done")
        self.assertEqual(await EXTEND(self.redis, [key], [1, "w1", 9000]), 0)  # a released lease is no longer the worker's
        await self.redis.execute("DEL", key)
        self.assertEqual(await EXTEND(self.redis, [key], [1, "w1", 9000]), 0)
        self.assertEqual(await self.redis.execute("EXISTS", key), 0)  # extend never recreates a lease
        sha = await self.redis.execute("SCRIPT", "LOAD", Script("return 1").source)
        self.assertEqual(sha, Script("return 1").sha)

    async def test_subscriber_delivers_messages(self):
        for protocol in (2, 3):
            got: list[str] = []
            sub = Subscriber(redis_address(), self.key("control"), got.append, protocol=protocol, ping_interval=0.2)
            sub.start()
            try:
                self.assertTrue(await sub.wait_subscribed(5))
                await asyncio.sleep(0.5)  # a few liveness PINGs on the subscribed connection
                await self.redis.execute("PUBLISH", self.key("control"), '{"type":"x"}')
                await self.wait_until(lambda: got, 5, "a message")
                self.assertEqual(got, ['{"type":"x"}'])
            finally:
                await sub.stop()


class WorkerProtocolTests(RedisTestCase):
    async def test_runs_a_task_and_reports_success(self):
        worker = await self.start_worker()
        task_id = await self.dispatch("Research the market for LLM agent orchestrators.",
                                      system_prompt="You are terse.")
        results = await self.wait_results(1)
        self.assertEqual(len(results), 1)
        result = results[0]
        self.assert_success(result, task_id, worker.config.worker_id)
        # The same numbers SimulatedChatClient and PricingOptions give for this prompt on .NET.
        self.assertEqual((result["input_tokens"], result["output_tokens"], result["cost_usd"]),
                         ("24", "154", "0.000096"))
        await self.wait_work_stream_empty()
        await self.assert_work_stream_empty()
        await self.wait_until(lambda: self._lease_gone(task_id), 5, "the lease to be released")
        presence = await self.redis.execute("HGETALL", self.key(f"worker:{worker.config.worker_id}"))
        presence = dict(zip(presence[::2], presence[1::2]))
        self.assertEqual(presence["capacity"], "4")
        self.assertEqual(presence["language"], "python")
        self.assertIn("busy", presence)
        self.assertGreater(int(presence["started_at"]), 1_600_000_000_000)
        self.assertGreater(await self.redis.execute("PTTL", self.key(f"worker:{worker.config.worker_id}")), 0)
        await self.stop_worker(worker)
        self.assertEqual(await self.redis.execute("EXISTS", self.key(f"worker:{worker.config.worker_id}")), 0)

    async def _lease_gone(self, task_id: str) -> bool:
        """Released: the worker marked its lease done (or it is gone), so no worker holds the task any more."""
        value = await self.lease(task_id)
        return value is None or value.endswith("|done")

    async def test_duplicate_delivery_runs_once(self):
        task_id = await self.dispatch("Run me once.", copies=2)
        worker = await self.start_worker()
        await self.wait_results(1)
        await self.wait_work_stream_empty()
        await asyncio.sleep(0.5)
        results = await self.results()
        self.assertEqual(len(results), 1, results)
        self.assert_success(results[0], task_id, worker.config.worker_id)
        self.assertEqual(await self.lease(task_id), "1|done")

    async def test_duplicate_delivery_across_two_workers_runs_once(self):
        task_ids = [await self.dispatch(f"Task {i} [[simulate:delay=300]]", copies=2) for i in range(4)]
        await self.start_worker(concurrency=2)
        await self.start_worker(concurrency=2)
        await self.wait_results(4, timeout=15)
        await self.wait_work_stream_empty()
        await asyncio.sleep(0.5)
        results = await self.results()
        self.assertEqual(sorted(r["task_id"] for r in results), sorted(task_ids))

    async def test_attempt_taken_by_another_worker_is_dropped(self):
        task_id = await self.dispatch(lease_owner="someone-else")
        await self.start_worker()
        await self.wait_work_stream_empty()
        await asyncio.sleep(0.3)
        self.assertEqual(await self.results(), [])
        self.assertEqual(await self.lease(task_id), "1|someone-else")

    async def test_stale_attempt_is_deleted_without_a_result(self):
        task_id = await self.dispatch(attempt=1, lease_attempt=2)
        await self.start_worker()
        await self.wait_work_stream_empty()
        await asyncio.sleep(0.3)
        self.assertEqual(await self.results(), [])
        self.assertEqual(await self.lease(task_id), "2|dispatched")

    async def test_missing_lease_is_lost(self):
        await self.dispatch(write_lease=False)
        await self.start_worker()
        await self.wait_work_stream_empty()
        await asyncio.sleep(0.3)
        self.assertEqual(await self.results(), [])

    async def test_malformed_message_is_deleted_and_the_worker_goes_on(self):
        await self.redis.xadd(self.key("work"), {"v": "1", "attempt": "x", "instruction": "no task id"})
        worker = await self.start_worker()
        task_id = await self.dispatch("After the bad one.")
        [result] = await self.wait_results(1)
        self.assert_success(result, task_id, worker.config.worker_id)
        await self.wait_work_stream_empty()

    async def test_other_providers_fail_retryably(self):
        await self.start_worker()
        task_id = await self.dispatch("Needs a real model.", provider="openai", model="gpt-4o")
        [result] = await self.wait_results(1)
        self.assertEqual((result["task_id"], result["outcome"], result["error_code"], result["retryable"]),
                         (task_id, "failed", "unsupported_provider", "1"))
        await self.wait_work_stream_empty()

    async def test_entry_left_pending_by_a_failed_acquire_is_retried(self):
        task_id = await self.dispatch("Acquire fails first.", write_lease=False)
        lease_key = self.key(f"lease:{task_id}")
        await self.redis.hset(lease_key, {"not": "a string"})  # the acquire script fails with WRONGTYPE
        worker = await self.start_worker()
        await asyncio.sleep(0.5)
        self.assertEqual(await self.results(), [])
        self.assertEqual((await self.redis.execute("XPENDING", self.key("work"), WORK_GROUP))[0], 1)
        await self.redis.execute("DEL", lease_key)
        await self.redis.execute("SET", lease_key, "1|dispatched", "PX", 600_000)
        [result] = await self.wait_results(1, timeout=10)
        self.assert_success(result, task_id, worker.config.worker_id)
        await self.wait_work_stream_empty()

    async def test_provider_error(self):
        worker = await self.start_worker()
        task_id = await self.dispatch("Fail please [[simulate:error]]")
        [result] = await self.wait_results(1)
        self.assertEqual(result["task_id"], task_id)
        self.assertEqual(result["worker"], worker.config.worker_id)
        self.assertEqual(result["outcome"], "failed")
        self.assertEqual(result["error_code"], "provider_error")
        self.assertEqual(result["retryable"], "0")
        self.assertIn("[[simulate:error]]", result["error_message"])
        self.assertEqual(result["output"], "")
        Decimal(result["cost_usd"])
        await self.wait_work_stream_empty()
        await self.wait_until(lambda: self._lease_gone(task_id), 5, "the lease to be released")

    async def test_time_limit(self):
        await self.start_worker()
        started = time.monotonic()
        task_id = await self.dispatch("Slow [[simulate:delay=20000]]", time_limit_ms=300)
        [result] = await self.wait_results(1)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(result["task_id"], task_id)
        self.assertEqual(result["outcome"], "failed")
        self.assertEqual(result["error_code"], "timeout")
        self.assertEqual(result["retryable"], "1")
        self.assertGreaterEqual(int(result["finished_at"]) - int(result["started_at"]), 250)
        await self.wait_work_stream_empty()
        await self.wait_until(lambda: self._lease_gone(task_id), 5, "the lease to be released")

    async def test_cancel_on_the_control_channel(self):
        worker = await self.start_worker()
        task_id = await self.dispatch("Long [[simulate:delay=20000]]", attempt=3)
        await self.wait_running(task_id, worker.config.worker_id)
        # Another attempt's cancel, and another task's, leave it running.
        await self.redis.execute("PUBLISH", self.key("control"),
                                 json.dumps({"type": "cancel", "task_id": task_id, "attempt": 2}))
        await self.redis.execute("PUBLISH", self.key("control"),
                                 json.dumps({"type": "cancel", "task_id": str(uuid.uuid4()), "attempt": 3}))
        await asyncio.sleep(0.3)
        self.assertEqual(await self.results(), [])
        await self.redis.execute("PUBLISH", self.key("control"),
                                 json.dumps({"type": "cancel", "task_id": task_id, "attempt": 3}))
        [result] = await self.wait_results(1, timeout=5)
        self.assertEqual(result["task_id"], task_id)
        self.assertEqual(result["attempt"], "3")
        self.assertEqual(result["outcome"], "failed")
        self.assertEqual(result["error_code"], "cancelled")
        self.assertEqual(result["retryable"], "0")
        await self.wait_work_stream_empty()
        await self.wait_until(lambda: self._lease_gone(task_id), 5, "the lease to be released")

    async def test_heartbeats_keep_a_long_attempt_alive(self):
        worker = await self.start_worker(lease_ttl_ms=1_000)
        task_id = await self.dispatch("Three lease TTLs long [[simulate:delay=3000]]")
        await self.wait_running(task_id, worker.config.worker_id)
        ttl = await self.redis.execute("PTTL", self.key(f"lease:{task_id}"))
        self.assertTrue(0 < ttl <= 1_000, ttl)
        [result] = await self.wait_results(1, timeout=10)
        self.assert_success(result, task_id, worker.config.worker_id)

    async def test_lost_lease_stops_the_attempt_without_a_result(self):
        worker = await self.start_worker(lease_ttl_ms=900)
        task_id = await self.dispatch("Long [[simulate:delay=20000]]")
        await self.wait_running(task_id, worker.config.worker_id)
        # The orchestrator swept it and dispatched attempt 2 elsewhere.
        await self.redis.execute("SET", self.key(f"lease:{task_id}"), "2|dispatched", "PX", 600_000)
        await self.wait_until(lambda: not worker.executions, 5, "the attempt to stop")
        await self.wait_work_stream_empty()
        await asyncio.sleep(0.3)
        self.assertEqual(await self.results(), [])
        self.assertEqual(await self.lease(task_id), "2|dispatched")

    async def test_survives_dropped_connections(self):
        worker = await self.start_worker(lease_ttl_ms=1_500)
        worker_id = worker.config.worker_id
        task_id = await self.dispatch("Across a reconnect [[simulate:delay=1500]]")
        await self.wait_running(task_id, worker_id)
        killed = await self.kill_connections(f"apex-worker:{worker_id}")
        self.assertGreaterEqual(killed, 3)  # commands, blocking reads, control subscription
        [result] = await self.wait_results(1, timeout=10)
        self.assert_success(result, task_id, worker_id)
        # Reading and the control channel work again.
        long_id = await self.dispatch("Long [[simulate:delay=20000]]")
        await self.wait_running(long_id, worker_id)
        await self.wait_until(lambda: worker._subscriber.subscribed.is_set(), 10, "the control subscription")
        await self.redis.execute("PUBLISH", self.key("control"),
                                 json.dumps({"type": "cancel", "task_id": long_id, "attempt": 1}))
        results = await self.wait_results(2)
        self.assertEqual(results[1]["error_code"], "cancelled")
        await self.wait_work_stream_empty()

    async def kill_connections(self, name_prefix: str) -> int:
        clients = await self.redis.execute("CLIENT", "LIST")
        killed = 0
        for line in clients.splitlines():
            fields = dict(part.split("=", 1) for part in line.split(" ") if "=" in part)
            if fields.get("name", "").startswith(name_prefix):
                killed += await self.redis.execute("CLIENT", "KILL", "ID", fields["id"])
        return killed

    async def test_concurrency_limit(self):
        await self.start_worker(concurrency=3)
        started = time.monotonic()
        ids = [await self.dispatch(f"Task {i} [[simulate:delay=500]]") for i in range(6)]
        results = await self.wait_results(6, timeout=15)
        elapsed = time.monotonic() - started
        self.assertEqual(sorted(r["task_id"] for r in results), sorted(ids))
        self.assertTrue(all(r["outcome"] == "succeeded" for r in results))
        self.assertGreaterEqual(elapsed, 0.95)  # two waves of three
        self.assertLess(elapsed, 5)
        await self.wait_work_stream_empty()

    async def test_resp3_worker(self):
        worker = await self.start_worker(protocol=3)
        task_id = await self.dispatch("Over RESP3.")
        [result] = await self.wait_results(1)
        self.assert_success(result, task_id, worker.config.worker_id)
        long_id = await self.dispatch("Long [[simulate:delay=20000]]")
        await self.wait_running(long_id, worker.config.worker_id)
        await self.redis.execute("PUBLISH", self.key("control"),
                                 json.dumps({"type": "cancel", "task_id": long_id, "attempt": 1}))
        results = await self.wait_results(2)
        self.assertEqual(results[1]["error_code"], "cancelled")
        await self.wait_work_stream_empty()

    async def test_resumes_its_own_pending_entries_after_a_restart(self):
        worker_id = f"py-{uuid.uuid4().hex[:8]}"
        await self.redis.xgroup_create(self.key("work"), WORK_GROUP, "0")
        task_id = await self.dispatch("Interrupted by a crash.", lease_owner=worker_id)
        # The previous process with this id read the entry and took the lease, then died.
        entries = await self.redis.xreadgroup(WORK_GROUP, worker_id, self.key("work"), ">", count=10)
        self.assertEqual(len(entries), 1)
        await self.start_worker(worker_id=worker_id)
        [result] = await self.wait_results(1)
        self.assert_success(result, task_id, worker_id)
        await self.wait_work_stream_empty()

    async def test_drain_in_process_releases_what_does_not_finish(self):
        worker = await self.start_worker(drain_seconds=0.5)
        long_id = await self.dispatch("Long [[simulate:delay=20000]]")
        short_id = await self.dispatch("Short [[simulate:delay=200]]")
        await self.wait_running(long_id, worker.config.worker_id)
        await self.wait_running(short_id, worker.config.worker_id)
        await self.stop_worker(worker)
        results = {r["task_id"]: r for r in await self.results()}
        self.assertEqual(results[short_id]["outcome"], "succeeded")
        self.assertEqual(results[long_id]["outcome"], "released")
        self.assertIn(await self.lease(long_id), (None, "1|done", "2|done"))
        await self.assert_work_stream_empty()
        # Work that arrives after the stop stays in the stream for other workers.
        await self.dispatch("After the stop.")
        await asyncio.sleep(0.3)
        self.assertEqual(await self.redis.execute("XLEN", self.key("work")), 1)


class WorkerProcessTests(RedisTestCase):
    def start_process(self, *args: str, worker_id: str) -> subprocess.Popen:
        log_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"{self.prefix}-{worker_id}.log")
        self.log_file = open(log_path, "w+")
        self.addCleanup(self._close_log, log_path)
        env = dict(os.environ, APEX_REDIS=REDIS)
        proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "apex_worker.py"), "--prefix", self.prefix, "--worker-id", worker_id,
             "--lease-ttl-ms", "3000", "--latency-ms", "20", "--block-ms", "200", *args],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.procs.append(proc)
        return proc

    def _close_log(self, path: str) -> None:
        self.log_file.close()
        os.unlink(path)

    def worker_log(self) -> str:
        self.log_file.flush()
        self.log_file.seek(0)
        return self.log_file.read()

    async def test_sigterm_drains_and_releases_a_long_task(self):
        worker_id = f"py-{uuid.uuid4().hex[:8]}"
        proc = self.start_process("--drain-seconds", "1", "--concurrency", "4", worker_id=worker_id)
        long_id = await self.dispatch("Long [[simulate:delay=30000]]", attempt=2)
        short_id = await self.dispatch("Short [[simulate:delay=300]]")
        await self.wait_running(long_id, worker_id, timeout=15)
        await self.wait_running(short_id, worker_id, timeout=15)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 20)
        elapsed = time.monotonic() - started
        self.assertEqual(rc, 0, self.worker_log())
        self.assertLess(elapsed, 8, self.worker_log())
        results = {r["task_id"]: r for r in await self.results()}
        self.assertEqual(set(results), {long_id, short_id}, self.worker_log())
        self.assertEqual(results[short_id]["outcome"], "succeeded")
        released = results[long_id]
        self.assertEqual(released["outcome"], "released")
        self.assertEqual(released["attempt"], "2")
        self.assertEqual(released["worker"], worker_id)
        self.assertIn(await self.lease(long_id), (None, "1|done", "2|done"))
        await self.assert_work_stream_empty()
        self.assertEqual(await self.redis.execute("EXISTS", self.key(f"worker:{worker_id}")), 0)

    async def test_cli_runs_work_and_stops_on_sigint(self):
        worker_id = f"py-{uuid.uuid4().hex[:8]}"
        proc = self.start_process(worker_id=worker_id)
        task_id = await self.dispatch("From the command line.")
        [result] = await self.wait_results(1, timeout=15)
        self.assert_success(result, task_id, worker_id)
        proc.send_signal(signal.SIGINT)
        rc = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 20)
        self.assertEqual(rc, 0, self.worker_log())
        self.assertIn("stopped", self.worker_log())


if __name__ == "__main__":
    unittest.main()

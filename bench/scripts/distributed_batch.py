#!/usr/bin/env python3
"""Distributed end-to-end throughput through the batch endpoint (loopback only, bounded).

Posts BATCHES concurrent requests of 1,000 tasks each to an Apex server in distributed mode, then polls
PostgreSQL until every one of them succeeded, and prints submit and end-to-end rates. Stdlib + psql only.

  python3 bench/scripts/distributed_batch.py http://127.0.0.1:5101 20 "host=127.0.0.1 port=55432 user=postgres dbname=postgres"
"""
import json
import subprocess
import sys
import threading
import time
import urllib.request


def main() -> int:
    base, batches, pg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not base.startswith(("http://127.0.0.1", "http://localhost")):
        print("loopback only")
        return 2
    body = json.dumps({"tasks": [{"name": "bench", "instruction": f"Task {i}"} for i in range(1000)]}).encode()

    def succeeded() -> int:
        out = subprocess.run(["psql", pg, "-tAc", "select count(*) from tasks where status = 'succeeded'"],
                             capture_output=True, text=True, check=True).stdout
        return int(out.strip())

    def post() -> None:
        request = urllib.request.Request(base + "/api/v1/tasks/batch", data=body, headers={"content-type": "application/json"})
        urllib.request.urlopen(request, timeout=60).read()

    before = succeeded()
    t0 = time.time()
    threads = [threading.Thread(target=post) for _ in range(batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.time()
    target, deadline = before + batches * 1000, t0 + 300
    while succeeded() < target:
        if time.time() > deadline:
            print("gave up after 300 s")
            return 1
        time.sleep(0.2)
    t2 = time.time()
    n = batches * 1000
    print(f"submitted {n} in {t1 - t0:.2f} s ({n / (t1 - t0):,.0f} tasks/s); all succeeded after {t2 - t0:.2f} s "
          f"({n / (t2 - t0):,.0f} tasks/s end to end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

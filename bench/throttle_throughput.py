"""How close to Harvest's throttle the client runs, and whether it ever gets throttled.

Starts the sandbox enforcing `--calls` per `--seconds` (a smaller window than Harvest's 100 / 15 s so
the run takes under a minute), then:

1. baseline: measures the enforced limit in this run. Raw HTTP calls, no limiter, as fast as
   possible until the first 503: the calls that got through are the window's size; the window's
   length is what `rate_limit_status` reports. Then waits out the lockout.
2. client: `--threads` threads share one account budget (one `SlidingWindowLimiter`, as the widget
   and the CLI do through the SQLite store) and call `/daily` for `--windows` windows' worth of calls.

Prints the achieved rate beside the enforced limit, their ratio (target >= 0.95) and the throttled
responses the sandbox sent (target 0). The achieved rate is N / the mean time between a call's
arrival and the arrival of the call N later (N = calls per window): the limit allows no less than
one window between them, so a perfect client scores exactly the limit, whatever the phase of its calls.

    .venv/bin/python bench/throttle_throughput.py [--calls 40] [--seconds 4] [--windows 10] [--threads 3]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import requests

from harvest_widget.api.auth import BasicAuth
from harvest_widget.api.errors import HarvestError
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.v1 import connect_v1
from harvest_widget.sandbox import Sandbox


def measure_enforced_limit(sandbox: Sandbox, email: str, password: str) -> tuple[int, int, float]:
    """(calls allowed per window, window seconds, lockout seconds) as the server enforces them."""
    session = requests.Session()
    session.auth = (email, password)
    session.headers["Accept"] = "application/json"
    allowed = 0
    while True:
        reply = session.get(sandbox.url + "/daily", params={"slim": 1}, timeout=10)
        if reply.status_code == 503:
            lockout = float(reply.headers.get("Retry-After", "16"))
            break
        reply.raise_for_status()
        allowed += 1
    status = session.get(sandbox.url + "/account/rate_limit_status", timeout=10).json()
    session.close()
    return allowed, int(status["timeframe_limit"]), lockout


def run_client(sandbox: Sandbox, email: str, password: str, calls: int, threads: int) -> int:
    """`calls` calls from `threads` threads sharing one budget; returns the client-side failures."""
    limiter = SlidingWindowLimiter()
    probe = connect_v1(sandbox.url, BasicAuth(email, password), limiter=limiter)
    probe.rate_limit_status()  # adopt the server's window, as the engine does after sign-in
    failures: list[HarvestError] = []
    lock = threading.Lock()
    counts = [calls // threads + (1 if i < calls % threads else 0) for i in range(threads)]

    def work(count: int) -> None:
        backend = connect_v1(sandbox.url, BasicAuth(email, password), limiter=limiter)
        for _ in range(count):
            try:
                backend.today(slim=True)
            except HarvestError as error:
                with lock:
                    failures.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in counts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40, help="calls the sandbox allows per window")
    parser.add_argument("--seconds", type=float, default=4.0, help="the sandbox's window in seconds")
    parser.add_argument("--windows", type=int, default=10, help="how many windows' worth of calls to send")
    parser.add_argument("--threads", type=int, default=3, help="client threads sharing one budget")
    args = parser.parse_args()

    with Sandbox(throttle_calls=args.calls, throttle_seconds=args.seconds) as sandbox:
        user = sandbox.users["admin"]
        allowed, window, lockout = measure_enforced_limit(sandbox, user.email, user.password)
        baseline = allowed / window
        print(f"enforced limit (measured): {allowed} calls / {window} s = {baseline:.2f} calls/s")
        time.sleep(lockout + window)  # the lockout, then a clean window
        sandbox.clear_requests()

        total = allowed * args.windows
        started = time.monotonic()
        failures = run_client(sandbox, user.email, user.password, total, args.threads)
        elapsed = time.monotonic() - started

        log = [r for r in sandbox.requests if r.path == "/daily"]
        throttled = sum(1 for r in log if r.status in (429, 503))
        arrivals = sorted(r.time for r in log if r.status == 200)
        gaps = [
            (later - earlier).total_seconds()
            for earlier, later in zip(arrivals, arrivals[allowed:], strict=False)
        ]
        achieved = allowed / statistics.fmean(gaps)
        print(
            f"client: {len(arrivals)} calls in {elapsed:.1f} s from {args.threads} threads; "
            f"achieved {achieved:.2f} calls/s (shortest {allowed}-call span {min(gaps):.3f} s)"
        )
        print(f"achieved / enforced limit: {achieved / baseline:.3f} (target >= 0.95)")
        print(f"throttled responses: {throttled}; failed calls: {failures} (target 0)")


if __name__ == "__main__":
    main()

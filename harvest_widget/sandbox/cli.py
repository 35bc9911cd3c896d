"""`harvest-widget sandbox`: run the local Harvest until Ctrl-C.

The first lines printed are the URL and the demo credentials (flushed at once, so a script or a
test can read them). It binds to loopback unless `--host` says otherwise.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from harvest_widget.sandbox.app import Sandbox
from harvest_widget.sandbox.control import is_loopback
from harvest_widget.sandbox.data_file import DataFileError
from harvest_widget.sandbox.faults import Fault, FaultSpecError


def _throttle(text: str) -> tuple[int, float]:
    calls, sep, seconds = text.partition("/")
    try:
        result = (int(calls), float(seconds))
    except ValueError:
        result = (0, 0.0)
    if not sep or result[0] < 1 or result[1] <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not CALLS/SECONDS, e.g. 100/15")
    return result


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except FaultSpecError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harvest-widget sandbox",
        description="Run a local Harvest (Time Tracking API v1) with demo data, for trying the widget.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port (default: 0 = any free port)")
    parser.add_argument("--data", metavar="FILE", help="keep entries in this JSON file between runs")
    parser.add_argument(
        "--throttle", metavar="CALLS/SECONDS", type=_throttle, default=(100, 15.0), help="default 100/15"
    )
    parser.add_argument("--latency", metavar="MS", type=float, default=0.0, help="delay every answer")
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. kind=status,status=502,content_type=html,path=^/daily,times=3 "
        "(kinds: status, latency, malformed, truncated, reset, drop_after_commit); repeatable",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    calls, seconds = args.throttle
    try:
        sandbox = Sandbox(
            throttle_calls=calls,
            throttle_seconds=seconds,
            data_file=args.data,
            host=args.host,
            port=args.port,
        )
    except DataFileError as error:
        print(f"harvest-widget sandbox: {error}", file=sys.stderr)
        return 2
    if args.latency > 0:
        sandbox.faults.add(Fault("latency", seconds=args.latency / 1000))
    for fault in args.fault:
        sandbox.faults.add(fault)
    try:
        sandbox.start()
    except OSError as error:
        print(f"harvest-widget sandbox: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    admin = sandbox.users["admin"]
    print(f"Harvest sandbox listening on {sandbox.url}", flush=True)
    print(f"Demo credentials: email {admin.email}  password {admin.password}", flush=True)
    print(f"Control endpoint (loopback only): {sandbox.url}/_sandbox/faults", flush=True)
    if args.host != "localhost" and not is_loopback(args.host):
        print(f"Listening on {args.host}: other machines can reach this sandbox.", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_signal) if in_main_thread else None
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    print("Sandbox stopped.", flush=True)
    return 0

"""A local Harvest (Time Tracking API v1) for tests and the demo; see docs/sandbox.md.

Written from the API notes, independently of the client: it never imports `harvest_widget.api`,
`store` or `sync`, so a test where client and sandbox agree means something.
"""

from harvest_widget.sandbox.app import Sandbox
from harvest_widget.sandbox.clock import Clock, ManualClock, WallClock
from harvest_widget.sandbox.demo_data import DEMO_EMAIL, DEMO_PASSWORD
from harvest_widget.sandbox.faults import Fault
from harvest_widget.sandbox.request_log import LoggedRequest
from harvest_widget.sandbox.world import SandboxEntry, SandboxUser

__all__ = [
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "Clock",
    "Fault",
    "LoggedRequest",
    "ManualClock",
    "Sandbox",
    "SandboxEntry",
    "SandboxUser",
    "WallClock",
]

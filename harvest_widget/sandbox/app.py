"""`Sandbox`: the local Harvest in one object, for tests (in-process) and people (`cli.py`).

It owns the world (people, projects, entries and rules), the throttle, the OAuth authority, the
faults and the request log, and serves them on `host:port` from a daemon thread. `start()` after
`stop()` serves again on the same port, so a test can take the server "offline" and back.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from harvest_widget.sandbox.clock import Clock, WallClock
from harvest_widget.sandbox.control import ControlRoutes
from harvest_widget.sandbox.data_file import load_timesheets, save_timesheets
from harvest_widget.sandbox.demo_data import demo_catalog, demo_timesheets
from harvest_widget.sandbox.faults import FaultSet
from harvest_widget.sandbox.gate import Gate
from harvest_widget.sandbox.messages import Routes
from harvest_widget.sandbox.oauth import DEMO_CLIENT, Authority, OAuthClient, OAuthRoutes
from harvest_widget.sandbox.request_log import LoggedRequest, RequestLog
from harvest_widget.sandbox.server import Dispatcher, SandboxHTTPServer
from harvest_widget.sandbox.throttle import Throttle
from harvest_widget.sandbox.v1 import V1Routes
from harvest_widget.sandbox.v2 import HarvestIdRoutes, V2Routes
from harvest_widget.sandbox.world import Catalog, SandboxEntry, SandboxUser, World


class Sandbox:
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        throttle_calls: int = 100,
        throttle_seconds: float = 15.0,
        data_file: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        catalog: Catalog | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else WallClock()
        self.host = host
        self._port = port
        self.data_file = Path(data_file) if data_file is not None else None
        catalog = catalog if catalog is not None else demo_catalog()
        sheets = load_timesheets(self.data_file) if self.data_file is not None else None
        fresh = sheets is None
        if sheets is None:
            sheets = demo_timesheets(catalog, self.clock.now())
        self.world = World(self.clock, catalog, sheets, on_change=self._save if self.data_file else None)
        if fresh and self.data_file is not None:
            self._save(self.world)
        self.throttle = Throttle(self.clock, throttle_calls, throttle_seconds)
        self.authority = Authority(self.world, self.clock)
        self.oauth_client: OAuthClient = DEMO_CLIENT
        self.gate = Gate(self.world, self.authority, self.throttle)
        self.faults = FaultSet()
        self.request_log = RequestLog()
        self.dispatcher = Dispatcher(self.clock, self.faults, self.request_log)
        self.register(V1Routes(self.world, self.gate, self.throttle))
        self.register(OAuthRoutes(self.world, self.authority))
        self.register(ControlRoutes(self.faults, self.throttle, self.request_log))
        self.v2 = V2Routes(self.world, self.authority, self.throttle)  # tests may set .v2.page_size
        self.register(self.v2)
        self.harvest_id = HarvestIdRoutes(self.world, self.authority)  # tests may add .other_accounts
        self.register(self.harvest_id)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- serving ----------------------------------------------------------------------------------

    def register(self, routes: Routes) -> None:
        """Plug in a route table (e.g. v2) that serves from the same world."""
        self.dispatcher.register(routes)

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        server = SandboxHTTPServer((self.host, self._port), self.dispatcher)
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="harvest-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    # ----- for tests --------------------------------------------------------------------------------

    @property
    def users(self) -> dict[str, SandboxUser]:
        return {user.name: user for user in self.world.users}

    def set_throttle(self, calls: int, seconds: float) -> None:
        self.throttle.configure(calls, seconds)

    @property
    def requests(self) -> list[LoggedRequest]:
        return self.request_log.items()

    def clear_requests(self) -> None:
        self.request_log.clear()

    def entries(self, user_name: str) -> list[SandboxEntry]:
        """The sandbox's own view of all of a user's entries, oldest day first."""
        return self.world.entries_of(self.world.user_by_name(user_name))

    def _save(self, world: World) -> None:
        assert self.data_file is not None
        save_timesheets(self.data_file, world.timesheets())

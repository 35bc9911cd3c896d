"""The control endpoint: faults, throttle and request log over HTTP, from loopback peers only."""

from __future__ import annotations

import socket

import pytest
import requests

from harvest_widget.sandbox import Sandbox
from harvest_widget.sandbox.control import is_loopback
from tests.sandbox.helpers import call


def _outward_address() -> str | None:
    """This machine's address on its main interface, if it has one that is not loopback."""
    for target in ("203.0.113.1", "10.255.255.254"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((target, 9))  # no packet is sent: this only picks a route
            except OSError:
                continue
            address = str(probe.getsockname()[0])
            if not is_loopback(address):
                return address
    return None


def test_faults_are_added_listed_and_cleared_over_http(sandbox: Sandbox) -> None:
    added = requests.post(
        sandbox.url + "/_sandbox/faults",
        json={"kind": "status", "status": 503, "headers": {"Retry-After": "5"}, "times": 1},
        timeout=5,
    )
    assert added.status_code == 201 and added.json()["status"] == 503
    assert [f["kind"] for f in requests.get(sandbox.url + "/_sandbox/faults", timeout=5).json()] == ["status"]
    throttled = call(sandbox, "GET", "/daily")
    assert throttled.status_code == 503 and throttled.headers["Retry-After"] == "5"
    requests.post(sandbox.url + "/_sandbox/faults", json={"kind": "reset"}, timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sandbox, "GET", "/daily")
    assert requests.delete(sandbox.url + "/_sandbox/faults", timeout=5).status_code == 200  # never faulted
    assert call(sandbox, "GET", "/daily").status_code == 200


def test_bad_fault_specs_are_400(sandbox: Sandbox) -> None:
    for body in ({"kind": "nope"}, {"kind": "status", "status": "many"}, ["kind"]):
        assert requests.post(sandbox.url + "/_sandbox/faults", json=body, timeout=5).status_code == 400


def test_throttle_can_be_changed_over_http(sandbox: Sandbox) -> None:
    response = requests.post(sandbox.url + "/_sandbox/throttle", json={"calls": 2, "seconds": 30}, timeout=5)
    assert response.status_code == 200
    assert [call(sandbox, "GET", "/daily").status_code for _ in range(3)] == [200, 200, 503]


def test_request_log_over_http_leaves_out_control_calls(sandbox: Sandbox) -> None:
    call(sandbox, "GET", "/daily", params={"slim": "1"})
    rows = requests.get(sandbox.url + "/_sandbox/requests", timeout=5).json()
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in rows] == [
        ("GET", "/daily", {"slim": "1"}, 200)
    ]
    requests.delete(sandbox.url + "/_sandbox/requests", timeout=5)
    assert sandbox.requests == []


def test_control_endpoint_refuses_peers_that_are_not_loopback() -> None:
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    with Sandbox(host="0.0.0.0") as server:
        url = f"http://{address}:{server.port}"
        refused = requests.post(url + "/_sandbox/faults", json={"kind": "reset"}, timeout=5)
        assert refused.status_code == 403 and "loopback" in refused.text
        assert requests.get(url + "/_sandbox/requests", timeout=5).status_code == 403
        assert server.faults.active() == []
        assert requests.get(server.url + "/_sandbox/faults", timeout=5).status_code == 200


def test_sandbox_listens_on_loopback_only_by_default(sandbox: Sandbox) -> None:
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://{address}:{sandbox.port}/daily", timeout=5)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.0.2.7", False),
        ("", False),
    ],
)
def test_is_loopback(address: str, expected: bool) -> None:
    assert is_loopback(address) is expected

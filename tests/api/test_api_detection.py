"""Which API a sign-in speaks, from the address and the credential (no network)."""

from __future__ import annotations

import pytest

from harvest_widget.api.api_detection import HARVEST_V2_URL, detect_api


@pytest.mark.parametrize(
    ("url", "credential", "account_id", "version", "used_url"),
    [
        ("https://acme.harvestapp.com", "password", None, "v1", "https://acme.harvestapp.com"),
        ("acme.harvestapp.com/", "password", None, "v1", "https://acme.harvestapp.com"),
        ("https://acme.harvestapp.com", "token", None, "v1", "https://acme.harvestapp.com"),
        ("https://acme.harvestapp.com", "token", 123, "v2", HARVEST_V2_URL),  # the account address, a PAT
        ("https://api.harvestapp.com", "token", None, "v2", HARVEST_V2_URL),  # still needs the account id
        ("https://id.getharvest.com", "harvest_id", None, "v2", HARVEST_V2_URL),
        ("acme.harvestapp.com", "personal_token", None, "v2", HARVEST_V2_URL),  # the id comes later
        ("http://127.0.0.1:8765", "personal_token", None, "v2", "http://127.0.0.1:8765"),
        (None, "harvest_id", None, "v2", HARVEST_V2_URL),
        (None, "token", 5, "v2", HARVEST_V2_URL),
        ("https://api.harvestapp.com", None, None, "v2", HARVEST_V2_URL),
        ("https://acme.harvestapp.com", None, None, "v1", "https://acme.harvestapp.com"),
        ("http://127.0.0.1:8765", "token", 5, "v2", "http://127.0.0.1:8765"),  # a sandbox keeps its address
        ("http://127.0.0.1:8765", "password", None, "v1", "http://127.0.0.1:8765"),
    ],
)
def test_the_address_and_the_credential_decide_the_api(
    url: str | None, credential: str | None, account_id: int | None, version: str, used_url: str
) -> None:
    choice = detect_api(url, credential, account_id=account_id)  # type: ignore[arg-type]
    assert choice is not None and (choice.version, choice.url) == (version, used_url) and choice.reason


@pytest.mark.parametrize(
    ("url", "credential"),
    [
        (None, "password"),
        ("https://api.harvestapp.com", "password"),
        ("http://127.0.0.1:1", None),
        (None, None),
    ],
)
def test_undecidable_sign_ins_are_none(url: str | None, credential: str | None) -> None:
    assert detect_api(url, credential) is None  # type: ignore[arg-type]

"""Credentials as sent: the Basic header, the OAuth refresh request and what a refresh keeps."""

from __future__ import annotations

import base64

import pytest

from harvest_widget.api.auth import BasicAuth, OAuthToken
from harvest_widget.log import redact


def test_basic_auth_sends_email_and_password_and_cannot_refresh() -> None:
    auth = BasicAuth("user@example.com", "s3cret-pass")
    scheme, token = auth.authorization().split(" ")
    assert scheme == "Basic" and base64.b64decode(token) == b"user@example.com:s3cret-pass"
    assert not auth.can_refresh


def test_secrets_are_registered_for_redaction_as_soon_as_they_are_known() -> None:
    basic = BasicAuth("user@example.com", "pass-word-42")
    token = OAuthToken("access-abc-123", refresh_token="refresh-def-456", client_secret="client-ghi-789")
    line = f"{basic.authorization()} pass-word-42 access-abc-123 refresh-def-456 client-ghi-789"
    assert redact(line).count("[REDACTED]") == 5
    token.accept_refresh({"access_token": "access-new-000", "refresh_token": "refresh-new-111"})
    assert "new" not in redact("access-new-000 refresh-new-111")


def test_oauth_refresh_request_is_the_refresh_token_grant() -> None:
    token = OAuthToken(
        "a1",
        refresh_token="r1",
        token_url="https://api.harvestapp.com/oauth2/token",
        client_id="cid",
        client_secret="cs",
    )
    assert token.can_refresh and token.authorization() == "Bearer a1"
    url, form = token.refresh_request()
    assert url == "https://api.harvestapp.com/oauth2/token"
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "r1",
        "client_id": "cid",
        "client_secret": "cs",
    }


def test_a_refresh_replaces_the_tokens_and_tells_the_owner() -> None:
    saved: list[tuple[str, str | None]] = []
    token = OAuthToken(
        "a1",
        refresh_token="r1",
        token_url="https://x/oauth2/token",
        on_refresh=lambda a, r: saved.append((a, r)),
    )
    token.accept_refresh({"access_token": "a2", "refresh_token": "r2", "expires_in": 64799})
    assert (token.authorization(), token.refresh_token, saved) == ("Bearer a2", "r2", [("a2", "r2")])
    token.accept_refresh({"access_token": "a3"})  # no new refresh token: keep the old one
    assert saved[-1] == ("a3", "r2")


def test_a_token_reply_without_access_token_is_refused() -> None:
    token = OAuthToken("a1", refresh_token="r1", token_url="https://x/oauth2/token")
    with pytest.raises(ValueError):
        token.accept_refresh({"error": "invalid_grant"})
    assert token.authorization() == "Bearer a1"


def test_without_refresh_token_or_url_there_is_no_refresh() -> None:
    assert not OAuthToken("a1").can_refresh
    assert not OAuthToken("a1", refresh_token="r1").can_refresh

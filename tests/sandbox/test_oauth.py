"""OAuth 2.0: authorize (approves at once), code and refresh grants, expiry by the sandbox clock."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from harvest_widget.sandbox import ManualClock, Sandbox

REDIRECT = "http://127.0.0.1:8765/callback"


def _authorize(sandbox: Sandbox, **extra: str) -> requests.Response:
    params = {
        "client_id": sandbox.oauth_client.client_id,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        "response_type": "code",
        **extra,
    }
    return requests.get(sandbox.url + "/oauth2/authorize", params=params, allow_redirects=False, timeout=5)


def _token(sandbox: Sandbox, **form: str) -> requests.Response:
    fields = {
        "client_id": sandbox.oauth_client.client_id,
        "client_secret": sandbox.oauth_client.client_secret,
    }
    fields.update(form)
    return requests.post(
        sandbox.url + "/oauth2/token", data=fields, headers={"Accept": "application/json"}, timeout=5
    )


def _code(sandbox: Sandbox) -> str:
    location = urlsplit(_authorize(sandbox).headers["Location"])
    return parse_qs(location.query)["code"][0]


def _whoami(sandbox: Sandbox, token: str) -> requests.Response:
    return requests.get(
        sandbox.url + "/account/who_am_i",
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_authorize_redirects_at_once_with_code_and_state(manual: Sandbox) -> None:
    response = _authorize(manual)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"] and query["code"][0]


def test_code_grant_returns_a_bearer_token_for_the_demo_user(manual: Sandbox) -> None:
    response = _token(manual, grant_type="authorization_code", code=_code(manual), redirect_uri=REDIRECT)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 64799
    assert body["access_token"] and body["refresh_token"]
    assert _whoami(manual, body["access_token"]).json()["user"]["email"] == "demo-email"


def test_authorize_with_basic_credentials_approves_as_that_user(manual: Sandbox) -> None:
    member = manual.users["member"]
    response = requests.get(
        manual.url + "/oauth2/authorize",
        params={
            "client_id": manual.oauth_client.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
        },
        auth=(member.email, member.password),
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    token = _token(manual, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()[
        "access_token"
    ]
    assert _whoami(manual, token).json()["user"]["id"] == member.id


def test_a_code_works_once(manual: Sandbox) -> None:
    code = _code(manual)
    assert (
        _token(manual, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code == 200
    )
    again = _token(manual, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert again.json()["error_description"]


def test_a_code_for_another_redirect_uri_or_expired_is_invalid_grant(
    clock: ManualClock, manual: Sandbox
) -> None:
    wrong_uri = _token(
        manual, grant_type="authorization_code", code=_code(manual), redirect_uri=REDIRECT + "x"
    )
    assert wrong_uri.json()["error"] == "invalid_grant"
    code = _code(manual)
    clock.advance(601)
    expired = _token(manual, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_refresh_grant_issues_a_new_pair(manual: Sandbox) -> None:
    first = _token(manual, grant_type="authorization_code", code=_code(manual), redirect_uri=REDIRECT).json()
    response = _token(manual, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert (
        second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    )
    assert _whoami(manual, second["access_token"]).status_code == 200
    bad = _token(manual, grant_type="refresh_token", refresh_token="nope")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_access_tokens_expire_by_the_sandbox_clock_and_refresh_revives(
    clock: ManualClock, manual: Sandbox
) -> None:
    pair = _token(manual, grant_type="authorization_code", code=_code(manual), redirect_uri=REDIRECT).json()
    clock.advance(64799)
    assert _whoami(manual, pair["access_token"]).status_code == 401
    fresh = _token(manual, grant_type="refresh_token", refresh_token=pair["refresh_token"]).json()
    assert _whoami(manual, fresh["access_token"]).status_code == 200


def test_wrong_client_secret_is_invalid_client_and_unknown_grant_is_refused(manual: Sandbox) -> None:
    wrong = _token(
        manual,
        grant_type="authorization_code",
        code=_code(manual),
        redirect_uri=REDIRECT,
        client_secret="guess",
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    password = _token(manual, grant_type="password")
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"


def test_implicit_flow_returns_the_token_in_the_fragment(manual: Sandbox) -> None:
    location = _authorize(manual, response_type="token").headers["Location"]
    fragment = parse_qs(urlsplit(location).fragment)
    assert fragment["token_type"] == ["bearer"] and fragment["state"] == ["xyz"]
    assert _whoami(manual, fragment["access_token"][0]).status_code == 200


def test_authorize_refuses_unknown_clients_and_bad_redirects(manual: Sandbox) -> None:
    assert _authorize(manual, client_id="stranger").status_code == 400
    assert _authorize(manual, redirect_uri="javascript:alert(1)").status_code == 400

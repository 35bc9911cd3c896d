"""First run: the sign-in dialog verifies on the worker, says what to fix, keeps secrets in the keyring."""

from __future__ import annotations

import json
import time

import pytest
import requests

from harvest_widget.credentials import SERVICE
from harvest_widget.gui.style import ERROR_COLOR
from tests.gui.conftest import WAIT_MS, make_shell


@pytest.fixture
def first_run(qtbot, home, memory_keyring):
    app_shell = make_shell(home, memory_keyring)
    qtbot.addWidget(app_shell.window)
    app_shell.start()
    qtbot.waitUntil(lambda: app_shell.sign_in_dialog is not None, timeout=WAIT_MS)
    dialog = app_shell.sign_in_dialog
    yield app_shell, dialog
    app_shell.shutdown()


def fill(qtbot, dialog, url, email, password):
    dialog.use_password.setChecked(True)
    dialog.account_url.setText(url)
    dialog.email.setText(email)
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, password)


def test_first_run_offers_sign_in_and_the_tray_says_so(first_run):
    app_shell, dialog = first_run
    assert dialog.isVisible()
    assert not app_shell.window.isVisible()
    assert "not signed in" in app_shell.tray.tooltip_text()
    app_shell.tray.rebuild_menu()
    assert app_shell.tray.action("Sign in") is not None


def test_wrong_password_says_what_to_fix_and_stores_nothing(qtbot, first_run, sandbox, memory_keyring):
    _, dialog = first_run
    fill(qtbot, dialog, sandbox.url, sandbox.users["admin"].email, "not-the-password")
    dialog.sign_in_button.click()
    assert dialog.busy.isVisible()
    assert not dialog.sign_in_button.isEnabled()
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    assert "check them" in dialog.error.text()
    assert dialog.sign_in_button.isEnabled()
    assert memory_keyring.store == {}


def test_missing_fields_are_named_before_anything_is_sent(qtbot, first_run, sandbox):
    _, dialog = first_run
    dialog.sign_in_button.click()
    assert "personal access token" in dialog.error.text()
    dialog.use_password.setChecked(True)
    dialog.sign_in_button.click()
    assert "account address" in dialog.error.text()
    assert not dialog.busy.isVisible()
    assert sandbox.requests == []


def test_good_password_opens_the_timesheet_and_keeps_the_secret_in_the_keyring(
    qtbot, first_run, sandbox, memory_keyring, home
):
    app_shell, dialog = first_run
    admin = sandbox.users["admin"]
    fill(qtbot, dialog, sandbox.url, admin.email, admin.password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(
        lambda: app_shell.window.isVisible() and app_shell.window.model.rowCount() > 0, timeout=WAIT_MS
    )
    assert app_shell.sign_in_dialog is None
    assert any(service == SERVICE for service, _ in memory_keyring.store)
    assert admin.password in str(memory_keyring.store.values())
    settings_text = home.settings_file.read_text()
    assert admin.password not in settings_text


def test_an_oauth_token_signs_in_too(qtbot, first_run, sandbox):
    app_shell, dialog = first_run
    dialog.use_token.setChecked(True)
    assert dialog.token.isVisible() and not dialog.password.isVisible()
    dialog.account_url.setText(sandbox.url)
    qtbot.keyClicks(dialog.token, sandbox.users["member"].access_token)
    dialog.sign_in_button.click()
    qtbot.waitUntil(
        lambda: app_shell.window.isVisible() and app_shell.window.model.rowCount() > 0, timeout=WAIT_MS
    )


def test_a_personal_access_token_signs_in_to_api_v2(qtbot, first_run, sandbox, home):
    app_shell, dialog = first_run
    dialog.use_pat.setChecked(True)
    assert dialog.account_id.isVisible() and not dialog.email.isVisible()
    dialog.sign_in_button.click()
    assert "personal access token" in dialog.error.text()
    member = sandbox.users["member"]
    dialog.account_url.setText(sandbox.url)
    qtbot.keyClicks(dialog.token, member.access_token)
    qtbot.keyClicks(dialog.account_id, str(member.company.id))
    dialog.sign_in_button.click()
    qtbot.waitUntil(
        lambda: app_shell.window.isVisible() and app_shell.window.model.rowCount() > 0, timeout=WAIT_MS
    )
    assert any(r.path.startswith("/v2/") for r in sandbox.requests)
    assert '"api_version": "v2"' in home.settings_file.read_text()


def test_the_api_is_detected_from_the_address_and_the_credential(qtbot, first_run, sandbox):
    _, dialog = first_run
    dialog.use_pat.setChecked(True)
    dialog.account_url.setText("acme.harvestapp.com")  # the account's address, as the browser shows it
    assert dialog.api_hint.text() == "Signs in to API v2 at api.harvestapp.com."
    dialog.use_password.setChecked(True)
    assert dialog.api_hint.text() == "Signs in to API v1 at acme.harvestapp.com."
    assert dialog.api_hint.palette().color(dialog.api_hint.foregroundRole()) != ERROR_COLOR

    dialog.account_url.setText("https://api.harvestapp.com")
    assert "no password sign-in" in dialog.api_hint.text()
    assert dialog.api_hint.palette().color(dialog.api_hint.foregroundRole()) == ERROR_COLOR
    dialog.email.setText("someone@example.com")
    dialog.password.setText("secret")
    dialog.sign_in_button.click()
    assert "no password sign-in" in dialog.error.text()
    assert dialog.error.palette().color(dialog.error.foregroundRole()) == ERROR_COLOR

    # A token for API v2's address is a personal access token, whichever token button was chosen.
    dialog.use_token.setChecked(True)
    dialog.token.setText("some-token")
    dialog.sign_in_button.click()
    assert dialog.use_pat.isChecked() and dialog.account_id.isVisible()
    assert "enter the account ID" in dialog.error.text()
    assert not dialog.busy.isVisible()
    assert sandbox.requests == []


class SignedInBrowser:
    """Plays the user's browser on the worker thread: approves at Harvest ID, follows the redirect."""

    def __init__(self, email: str, password: str) -> None:
        self.login = (email, password)
        self.opened: list[str] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        approval = requests.get(url, auth=self.login, allow_redirects=False, timeout=10)
        requests.get(approval.headers["Location"], timeout=10)
        return True


def test_harvest_id_in_the_browser_signs_in_to_api_v2(qtbot, home, memory_keyring, sandbox):
    member = sandbox.users["member"]
    browser = SignedInBrowser(member.email, member.password)
    app_shell = make_shell(home, memory_keyring, open_browser=browser)
    qtbot.addWidget(app_shell.window)
    app_shell.start()
    try:
        qtbot.waitUntil(lambda: app_shell.sign_in_dialog is not None, timeout=WAIT_MS)
        dialog = app_shell.sign_in_dialog
        dialog.use_harvest_id.setChecked(True)
        assert dialog.client_secret.isVisible() and not dialog.token.isVisible()
        dialog.account_url.setText(sandbox.url)
        dialog.client_id.setText(sandbox.oauth_client.client_id)
        dialog.client_secret.setText(sandbox.oauth_client.client_secret)
        dialog.sign_in_button.click()
        assert dialog.sign_in_button.text() == "Waiting for the browser…"
        qtbot.waitUntil(
            lambda: app_shell.window.isVisible() and app_shell.window.model.rowCount() > 0, timeout=WAIT_MS
        )
        assert browser.opened and "/oauth2/authorize" in browser.opened[0]
        [saved] = [json.loads(value) for value in memory_keyring.store.values()]
        assert saved["refresh_token"] and saved["expires_at"] > time.time()  # renewed before it expires
        assert sandbox.oauth_client.client_secret not in home.settings_file.read_text()
    finally:
        app_shell.shutdown()

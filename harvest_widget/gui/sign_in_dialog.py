"""First run: sign in with a personal access token (API v2), or with an account URL + email and
password or an OAuth token (legacy API v1); or try the demo.

The dialog only collects input; the worker verifies it with Harvest (the dialog shows a busy state
meanwhile and stays responsive) and stores the secret in the keyring. Which API the address and the
credential speak is detected as the user types (`api.api_detection`, no network) and shown under the
form: a personal access token with an account address (acme.harvestapp.com) still reaches API v2 at
api.harvestapp.com, and a token entered for api.harvestapp.com is taken as a v2 token.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from harvest_widget.api.api_detection import ApiChoice, CredentialKind, detect_api
from harvest_widget.gui.style import show_as_error
from harvest_widget.gui.worker import SignInRequest


def normalized_account_url(text: str) -> str:
    """'acme' -> 'https://acme.harvestapp.com'; full URLs are kept (without a trailing slash)."""
    url = text.strip().rstrip("/")
    if url and "://" not in url:
        url = f"https://{url}" if "." in url else f"https://{url}.harvestapp.com"
    return url


class SignInDialog(QDialog):
    """Emits `submitted(SignInRequest)`; call `show_failure` or `accept` when the worker answers."""

    submitted = Signal(object)
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to Harvest")
        self.setMinimumWidth(440)
        intro = QLabel(
            "Track time from the tray. Sign in with your Harvest account, or try the demo first.", self
        )
        intro.setWordWrap(True)
        self.account_url = QLineEdit(self)
        self.account_url.setPlaceholderText("yourcompany.harvestapp.com")
        self.email = QLineEdit(self)
        self.email.setPlaceholderText("you@example.com")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Access token")
        self.account_id = QLineEdit(self)
        self.account_id.setValidator(QIntValidator(1, 2_000_000_000, self))
        self.account_id.setPlaceholderText("Account ID, shown with the token in Harvest ID")
        self.data_format = QComboBox(self)
        self.data_format.addItem("JSON", "json")
        self.data_format.addItem("XML", "xml")
        self.client_id = QLineEdit(self)
        self.client_id.setPlaceholderText("From Harvest ID > Developers > OAuth2 application")
        self.client_secret = QLineEdit(self)
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.use_harvest_id = QRadioButton("Harvest ID in the browser (API v2)", self)
        self.use_pat = QRadioButton("Personal access token (API v2)", self)
        self.use_password = QRadioButton("Email and password (v1)", self)
        self.use_token = QRadioButton("OAuth token (v1)", self)
        self.use_pat.setChecked(True)  # v1 is being retired by Harvest; a token is the simplest v2 path
        group = QButtonGroup(self)
        kind = QVBoxLayout()
        kind.setSpacing(2)
        for button in (self.use_harvest_id, self.use_pat, self.use_password, self.use_token):
            group.addButton(button)
            button.toggled.connect(self._update_mode)
            kind.addWidget(button)

        self.form = QFormLayout()
        self.form.addRow("Account", self.account_url)
        self.form.addRow("Sign in with", kind)
        self.form.addRow("Email", self.email)
        self.form.addRow("Password", self.password)
        self.form.addRow("Token", self.token)
        self.form.addRow("Client ID", self.client_id)
        self.form.addRow("Client secret", self.client_secret)
        self.form.addRow("Account ID", self.account_id)
        self.form.addRow("Data format", self.data_format)

        self.api_hint = QLabel(self)
        self.api_hint.setObjectName("signInApi")
        self.api_hint.setWordWrap(True)

        self.error = QLabel(self)
        self.error.setObjectName("signInError")
        show_as_error(self.error)
        self.error.setWordWrap(True)
        self.error.hide()
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()

        self.demo_button = QPushButton("Try the demo", self)
        self.demo_button.setToolTip(
            "Open a sample timesheet on a local practice server; nothing is sent to Harvest"
        )
        self.cancel_button = QPushButton("Cancel", self)
        self.sign_in_button = QPushButton("Sign in", self)
        self.sign_in_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_in_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(self.form)
        layout.addWidget(self.api_hint)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addLayout(buttons)

        self.sign_in_button.clicked.connect(self._on_sign_in)
        self.cancel_button.clicked.connect(self.reject)
        self.demo_button.clicked.connect(self.demo_requested)
        self.account_url.textChanged.connect(self._update_hint)
        self.account_id.textChanged.connect(self._update_hint)
        self._update_mode()

    def _update_mode(self) -> None:
        pat, password, browser = (
            self.use_pat.isChecked(),
            self.use_password.isChecked(),
            self.use_harvest_id.isChecked(),
        )
        v2 = pat or browser
        self.account_url.setPlaceholderText("api.harvestapp.com" if v2 else "yourcompany.harvestapp.com")
        self.account_id.setPlaceholderText(
            "Only if you have several accounts"
            if browser
            else "Account ID, shown with the token in Harvest ID"
        )
        shown = (
            (self.email, password),
            (self.password, password),
            (self.token, not (password or browser)),
            (self.client_id, browser),
            (self.client_secret, browser),
            (self.account_id, v2),
            (self.data_format, not v2),
        )
        for widget, visible in shown:
            widget.setVisible(visible)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setVisible(visible)
        self._update_hint()

    def _credential(self) -> tuple[CredentialKind, int | None]:
        """The kind of credential chosen, and the account id when one is asked for and given."""
        account_id = int(self.account_id.text()) if self.account_id.text().strip() else None
        if self.use_harvest_id.isChecked():
            return "harvest_id", account_id
        if self.use_password.isChecked():
            return "password", None
        return ("personal_token", account_id) if self.use_pat.isChecked() else ("token", None)

    def _detected(self) -> ApiChoice | None:
        credential, account_id = self._credential()
        url = normalized_account_url(self.account_url.text()) or None
        return detect_api(url, credential, account_id=account_id)

    def _update_hint(self) -> None:
        choice = self._detected()
        warning = choice is None or (choice.version == "v2" and self.use_token.isChecked())
        if choice is None:
            text = (
                "API v2 has no password sign-in: choose Harvest ID or a personal access token."
                if self.account_url.text().strip()
                else ""
            )
        elif choice.version == "v2" and self.use_token.isChecked():
            text = f"{choice.reason[:1].upper()}{choice.reason[1:]}: sign in with a personal access token."
        else:
            text = f"Signs in to API {choice.version} at {choice.address}."
        self.api_hint.setText(text)
        show_as_error(self.api_hint, warning)
        self.api_hint.setVisible(bool(text))

    def set_busy(self, busy: bool, busy_text: str = "Checking with Harvest…") -> None:
        for widget in (
            self.account_url,
            self.email,
            self.password,
            self.token,
            self.account_id,
            self.client_id,
            self.client_secret,
            self.data_format,
            self.sign_in_button,
            self.demo_button,
        ):
            widget.setEnabled(not busy)
        self.busy.setVisible(busy)
        self.sign_in_button.setText(busy_text if busy else "Sign in")
        if busy:
            self.error.hide()

    def show_failure(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()
        self.password.selectAll()
        (self.password if self.use_password.isChecked() else self.token).setFocus()

    def _missing(self) -> str | None:
        if self.use_token.isChecked() and (choice := self._detected()) and choice.version == "v2":
            self.use_pat.setChecked(True)  # a token for API v2's address is a personal access token
            if not self.account_id.text().strip():
                self.account_id.setFocus()
                return f"{choice.address} serves API v2: enter the account ID shown with your token."
        if self.use_password.isChecked() and self.account_url.text().strip() and self._detected() is None:
            return "API v2 has no password sign-in: choose Harvest ID or a personal access token."
        if self.use_harvest_id.isChecked():
            if self.client_id.text().strip() and self.client_secret.text().strip():
                return None
            return "Enter the client ID and secret of the OAuth2 application you registered in Harvest ID."
        if self.use_pat.isChecked():
            if not self.token.text().strip():
                return "Paste your personal access token from Harvest ID (id.getharvest.com/developers)."
            return None if self.account_id.text().strip() else "Enter the account ID shown with your token."
        if not self.account_url.text().strip():
            return "Enter your Harvest account address, such as yourcompany.harvestapp.com."
        if self.use_token.isChecked():
            return None if self.token.text().strip() else "Paste your OAuth access token."
        if not self.email.text().strip():
            return "Enter the email address you sign in to Harvest with."
        if not self.password.text():
            return "Enter your Harvest password."
        return None

    def _on_sign_in(self) -> None:
        problem = self._missing()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        choice = self._detected()
        assert choice is not None  # `_missing` refused every input no API serves
        _, account_id = self._credential()
        if self.use_harvest_id.isChecked():
            self._submit(
                SignInRequest(
                    server_url=choice.url,
                    api_version="v2",
                    account_id=account_id,
                    client_id=self.client_id.text().strip(),
                    client_secret=self.client_secret.text().strip(),
                ),
                busy_text="Waiting for the browser…",
            )
            return
        token = not self.use_password.isChecked()
        v2 = choice.version == "v2"
        request = SignInRequest(
            server_url=choice.url,
            email="" if token else self.email.text().strip(),
            password=None if token else self.password.text(),
            token=self.token.text().strip() if token else None,
            data_format="json" if v2 else str(self.data_format.currentData()),
            api_version=choice.version,
            account_id=account_id if v2 else None,
        )
        self._submit(request)

    def _submit(self, request: SignInRequest, busy_text: str = "Checking with Harvest…") -> None:
        self.set_busy(True, busy_text)
        self.submitted.emit(request)

    def keyPressEvent(self, event: object) -> None:
        # Escape while checking must not leave a half-finished sign-in behind the user's back.
        if getattr(event, "key", lambda: None)() == Qt.Key.Key_Escape and self.busy.isVisible():
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

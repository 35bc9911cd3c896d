"""Start at login: the per-user mechanism of each OS, switched on and off by the setting.

- Windows: a value in the per-user Run key (`HKCU\\...\\CurrentVersion\\Run`).
- macOS: a LaunchAgent plist in `~/Library/LaunchAgents` (RunAtLoad).
- Linux and other XDG desktops: a `.desktop` file in `$XDG_CONFIG_HOME/autostart`.

Each launches the widget with `--hidden`, so it starts in the tray without opening its window. Every
class takes the place it writes to (a folder, a registry accessor) in its constructor, so tests point
it at a temporary folder or a registry stand-in; `autostart_for_platform` picks the real one. No Qt
here: the CLI and the installer-facing code can use it too.
"""

from __future__ import annotations

import logging
import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from harvest_widget import APP_NAME
from harvest_widget.paths import HOME_ENV

log = logging.getLogger(__name__)

BUNDLE_ID = "com.harvest-widget.app"
HIDDEN_FLAG = "--hidden"
RUN_KEY_PATH = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command(*, frozen: bool | None = None, executable: str | None = None) -> list[str]:
    """The command that starts this installation of the widget hidden in the tray.

    A frozen bundle (PyInstaller) is its own executable; otherwise this Python runs the package.
    """
    is_frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    program = executable or sys.executable
    if is_frozen:
        return [program, HIDDEN_FLAG]
    return [program, "-m", "harvest_widget", HIDDEN_FLAG]


class Autostart(Protocol):
    """One OS mechanism for starting the widget at login."""

    def is_enabled(self) -> bool: ...

    def enable(self, command: Sequence[str]) -> None:
        """Start `command` at every login (replaces an older command, e.g. after the app moved)."""

    def disable(self) -> None:
        """Stop starting at login; already disabled is not an error."""


def apply_start_at_login(enabled: bool, autostart: Autostart, command: Sequence[str] | None = None) -> None:
    """Make the OS match the setting: enable with this installation's command, or remove the entry."""
    if enabled:
        autostart.enable(list(command) if command is not None else launch_command())
        log.info("Start at login enabled")
    else:
        autostart.disable()
        log.info("Start at login disabled")


# -- Linux / XDG -----------------------------------------------------------------------------------

_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def desktop_exec(args: Sequence[str]) -> str:
    """`args` as a desktop-entry Exec value: quoted where the spec requires, `%` doubled.

    The spec escapes `"`, backtick, `$` and backslash inside quotes, then applies the string-value
    escape to backslashes again (hence a literal backslash becomes four).
    """
    parts = []
    for arg in args:
        text = arg.replace("%", "%%")
        if text and not (set(text) & _EXEC_RESERVED):
            parts.append(text)
            continue
        quoted = "".join("\\" + c if c in '"`$\\' else c for c in text)
        parts.append('"' + quoted.replace("\\", "\\\\") + '"')
    return " ".join(parts)


def xdg_autostart_dir(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """`$XDG_CONFIG_HOME/autostart`, or `~/.config/autostart` when the variable is unset or relative."""
    env = os.environ if environ is None else environ
    config_home = env.get("XDG_CONFIG_HOME", "")
    if config_home and Path(config_home).is_absolute():
        return Path(config_home) / "autostart"
    return (home or Path.home()) / ".config" / "autostart"


class XdgAutostart:
    """A `harvest-widget.desktop` file in an XDG autostart folder."""

    def __init__(self, directory: Path) -> None:
        self.file = directory / f"{APP_NAME}.desktop"

    def is_enabled(self) -> bool:
        return self.file.exists()

    def enable(self, command: Sequence[str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        text = (
            "[Desktop Entry]\n"
            "Type=Application\n"
            "Name=Harvest Widget\n"
            "Comment=Harvest timer in the system tray\n"
            f"Exec={desktop_exec(command)}\n"
            f"Icon={APP_NAME}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
        )
        temporary = self.file.with_suffix(".desktop.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.file)

    def disable(self) -> None:
        self.file.unlink(missing_ok=True)


# -- macOS ----------------------------------------------------------------------------------------


class LaunchAgent:
    """`~/Library/LaunchAgents/<bundle id>.plist`, loaded by launchd at the next login."""

    def __init__(self, directory: Path, label: str = BUNDLE_ID) -> None:
        self.label = label
        self.file = directory / f"{label}.plist"

    def is_enabled(self) -> bool:
        return self.file.exists()

    def enable(self, command: Sequence[str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        agent = {
            "Label": self.label,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
        }
        temporary = self.file.with_suffix(".plist.tmp")
        with temporary.open("wb") as stream:
            plistlib.dump(agent, stream)
        os.replace(temporary, self.file)

    def disable(self) -> None:
        self.file.unlink(missing_ok=True)


# -- Windows --------------------------------------------------------------------------------------


class RegistryValues(Protocol):
    """The string values of one registry key (the real one is `WindowsRunKey`)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None:
        """Remove the value; a missing value is not an error."""


class RunKeyAutostart:
    """A value named `harvest-widget` in the per-user Run key holding the quoted command line.

    The Windows installer's optional "start at login" task writes the same value, so the setting
    and the installer agree.
    """

    def __init__(self, registry: RegistryValues, value_name: str = APP_NAME) -> None:
        self.registry = registry
        self.value_name = value_name

    def is_enabled(self) -> bool:
        return self.registry.get(self.value_name) is not None

    def enable(self, command: Sequence[str]) -> None:
        self.registry.set(self.value_name, subprocess.list2cmdline(list(command)))

    def disable(self) -> None:
        self.registry.delete(self.value_name)


if sys.platform == "win32":
    import winreg

    class WindowsRunKey:
        """`HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run` through winreg."""

        def get(self, name: str) -> str | None:
            try:
                with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH) as key:
                    value, _kind = winreg.QueryValueEx(key, name)
            except FileNotFoundError:
                return None
            return str(value)

        def set(self, name: str, value: str) -> None:
            with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, winreg.KEY_SET_VALUE) as key:
                winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

        def delete(self, name: str) -> None:
            try:
                with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, winreg.KEY_SET_VALUE) as key:
                    winreg.DeleteValue(key, name)
            except FileNotFoundError:
                pass

    def _windows_autostart() -> Autostart:
        return RunKeyAutostart(WindowsRunKey())

else:

    def _windows_autostart() -> Autostart:
        raise OSError("The Windows Run key is only reachable on Windows.")


def autostart_for_platform(
    platform: str | None = None, environ: Mapping[str, str] | None = None, home: Path | None = None
) -> Autostart:
    """The mechanism this OS uses, pointed at the real per-user location (`home` for tests).

    With `HARVEST_WIDGET_HOME` set (tests, the demo), the entry is a `.desktop` file inside that
    folder instead: like every other file, it never reaches the real profile.
    """
    env = os.environ if environ is None else environ
    if env.get(HOME_ENV):
        return XdgAutostart(Path(env[HOME_ENV]).expanduser() / "autostart")
    name = sys.platform if platform is None else platform
    if name == "win32":
        return _windows_autostart()
    if name == "darwin":
        return LaunchAgent((home or Path.home()) / "Library" / "LaunchAgents")
    return XdgAutostart(xdg_autostart_dir(env, home))

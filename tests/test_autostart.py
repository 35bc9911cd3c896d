"""Start at login: real files on Linux; exactly what is written for macOS and the Windows Run key."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from harvest_widget.autostart import (
    BUNDLE_ID,
    LaunchAgent,
    RunKeyAutostart,
    XdgAutostart,
    apply_start_at_login,
    autostart_for_platform,
    desktop_exec,
    launch_command,
)
from harvest_widget.paths import HOME_ENV, AppPaths
from harvest_widget.settings import load_settings, save_settings


def parse_desktop_file(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def exec_to_args(value: str) -> list[str]:
    """Decode an Exec value as a launcher does: string escapes, then quoting, then `%%`."""
    text = value.replace("\\\\", "\\")
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    chars = iter(text)
    for char in chars:
        if quoted and char == "\\":
            current.append(next(chars))
        elif char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if current or started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
    assert not quoted, f"unbalanced quotes in {value!r}"
    if current or started:
        args.append("".join(current))
    return [arg.replace("%%", "%") for arg in args]


class DictRegistry:
    """A registry key held in a dict, with the same three operations as the real Run key accessor."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_launch_command_starts_the_package_hidden_when_not_frozen() -> None:
    assert launch_command(frozen=False) == [sys.executable, "-m", "harvest_widget", "--hidden"]
    assert launch_command(frozen=True, executable="/opt/hw/harvest-widget") == [
        "/opt/hw/harvest-widget",
        "--hidden",
    ]


def test_start_at_login_setting_creates_and_removes_the_xdg_autostart_file(
    home: AppPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.delenv(HOME_ENV)  # settings stay in the test home; autostart goes where the desktop looks
    autostart = autostart_for_platform("linux")
    desktop_file = config_home / "autostart" / "harvest-widget.desktop"

    save_settings(home, load_settings(home).replace(start_at_login=True))
    apply_start_at_login(load_settings(home).start_at_login, autostart)
    assert desktop_file.is_file()
    assert autostart.is_enabled()
    entry = parse_desktop_file(desktop_file)
    assert entry["Type"] == "Application"
    args = exec_to_args(entry["Exec"])
    assert args == [sys.executable, "-m", "harvest_widget", "--hidden"]
    assert Path(args[0]).is_file()

    save_settings(home, load_settings(home).replace(start_at_login=False))
    apply_start_at_login(load_settings(home).start_at_login, autostart)
    assert not desktop_file.exists()
    assert not autostart.is_enabled()
    apply_start_at_login(False, autostart)  # turning it off twice is fine


def test_a_separate_app_home_keeps_the_autostart_entry_inside_it(home: AppPaths, tmp_path: Path) -> None:
    for platform in ("linux", "darwin", "win32"):
        autostart = autostart_for_platform(platform, home=tmp_path / "user")
        assert isinstance(autostart, XdgAutostart)
        assert autostart.file.parent == home.config_dir.parent / "autostart"
    autostart.enable(["/opt/hw/harvest-widget", "--hidden"])
    assert not (tmp_path / "user").exists()


def test_xdg_autostart_falls_back_to_dot_config_without_xdg_config_home(tmp_path: Path) -> None:
    autostart = autostart_for_platform("linux", environ={}, home=tmp_path)
    assert isinstance(autostart, XdgAutostart)
    assert autostart.file == tmp_path / ".config" / "autostart" / "harvest-widget.desktop"
    relative = autostart_for_platform("linux", environ={"XDG_CONFIG_HOME": "relative/dir"}, home=tmp_path)
    assert isinstance(relative, XdgAutostart)
    assert relative.file.parent == tmp_path / ".config" / "autostart"


@pytest.mark.parametrize(
    "command",
    [
        ["/opt/Harvest Widget/harvest-widget", "--hidden"],
        ['/home/o"brien/$HOME/`x`/back\\slash/100%/hw', "--hidden"],
        ["/usr/bin/python3", "-m", "harvest_widget", "--hidden"],
    ],
)
def test_desktop_exec_round_trips_paths_with_spaces_quotes_and_percent(
    command: list[str], tmp_path: Path
) -> None:
    autostart = XdgAutostart(tmp_path)
    autostart.enable(command)
    assert exec_to_args(parse_desktop_file(autostart.file)["Exec"]) == command


def test_desktop_exec_leaves_plain_arguments_unquoted() -> None:
    assert desktop_exec(["/usr/bin/harvest-widget", "--hidden"]) == "/usr/bin/harvest-widget --hidden"


def test_enabling_again_replaces_the_command_of_a_moved_installation(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path)
    autostart.enable(["/old/place/harvest-widget", "--hidden"])
    autostart.enable(["/new/place/harvest-widget", "--hidden"])
    assert exec_to_args(parse_desktop_file(autostart.file)["Exec"])[0] == "/new/place/harvest-widget"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["harvest-widget.desktop"]


def test_launch_agent_plist_runs_the_app_hidden_at_load(tmp_path: Path) -> None:
    agents = tmp_path / "Library" / "LaunchAgents"
    autostart = autostart_for_platform("darwin", environ={}, home=tmp_path)
    assert isinstance(autostart, LaunchAgent)
    command = ["/Applications/Harvest Widget.app/Contents/MacOS/harvest-widget", "--hidden"]

    apply_start_at_login(True, autostart, command)
    plist_file = agents / f"{BUNDLE_ID}.plist"
    with plist_file.open("rb") as stream:
        agent = plistlib.load(stream)
    assert agent == {
        "Label": BUNDLE_ID,
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    assert autostart.is_enabled()

    apply_start_at_login(False, autostart)
    assert not plist_file.exists()
    assert not autostart.is_enabled()


def test_run_key_value_is_the_quoted_command_line_with_hidden() -> None:
    registry = DictRegistry()
    autostart = RunKeyAutostart(registry)
    command = [r"C:\Program Files\Harvest Widget\harvest-widget.exe", "--hidden"]

    apply_start_at_login(True, autostart, command)
    assert registry.values == {
        "harvest-widget": r'"C:\Program Files\Harvest Widget\harvest-widget.exe" --hidden'
    }
    assert autostart.is_enabled()

    apply_start_at_login(False, autostart)
    assert registry.values == {}
    assert not autostart.is_enabled()
    apply_start_at_login(False, autostart)


def test_run_key_leaves_other_programs_values_alone() -> None:
    registry = DictRegistry()
    registry.values["OneDrive"] = r'"C:\OneDrive.exe" /background'
    autostart = RunKeyAutostart(registry)
    autostart.enable([r"C:\hw\harvest-widget.exe", "--hidden"])
    autostart.disable()
    assert registry.values == {"OneDrive": r'"C:\OneDrive.exe" /background'}


@pytest.mark.skipif(sys.platform == "win32", reason="the refusal is for non-Windows machines")
def test_windows_run_key_is_refused_off_windows() -> None:
    with pytest.raises(OSError, match="only reachable on Windows"):
        autostart_for_platform("win32", environ={})

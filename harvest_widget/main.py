"""`harvest-widget`: the one entry point.

No arguments (or `--demo`, `--self-test`, GUI flags) start the tray app; `sandbox ...` starts the
local Harvest; anything else is the command line. Each branch imports only what it needs, so the
command line never imports Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        from harvest_widget.sandbox.cli import main as sandbox_main

        return sandbox_main(args[1:])
    if args and (not args[0].startswith("-") or args[0] in ("-h", "--help", "--version")):
        from harvest_widget.cli import main as cli_main

        return cli_main(args)
    from harvest_widget.gui.app import main as gui_main

    return gui_main(args)


if __name__ == "__main__":
    sys.exit(main())

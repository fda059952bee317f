"""Entry point of the frozen (PyInstaller) Extractdesk.

The bundle has one program, so everything the installed app starts is this file:

- ``extractdesk [FILE...]``, ``extract``, ``serve``, ``--version``: :func:`app.cli.main`;
- ``extractdesk --local-engine-server ARGS`` (hidden): the local engine's server, started by
  the app itself (:func:`app.server.launcher.server_command` when ``sys.frozen``);
- ``extractdesk --multiprocessing-fork ...`` (hidden): the server's worker processes
  (multiprocessing 'spawn'), handled inside :func:`multiprocessing.freeze_support`;
- ``extractdesk --smoke-test FILE`` (hidden): open the window offscreen, extract FILE with
  the local engine, exit 0 (:mod:`ui.smoke`; used by CI on the installed package).

A spawned worker imports this module as ``__mp_main__``: keep the top level free of work.
"""

from __future__ import annotations

import multiprocessing
import sys

SERVER_FLAG = "--local-engine-server"  # = app.server.launcher.FROZEN_SERVER_FLAG
SMOKE_FLAG = "--smoke-test"


def main() -> int:
    multiprocessing.freeze_support()  # a worker process runs its task here and exits
    args = sys.argv[1:]
    if args[:1] == [SERVER_FLAG]:
        from app.server.cli import serve_main

        return int(serve_main(args[1:]))
    if args[:1] == [SMOKE_FLAG]:
        from ui.smoke import main as smoke_main

        return smoke_main(args[1:])
    from app.cli import main as cli_main

    return int(cli_main(args))


if __name__ == "__main__":
    sys.exit(main())

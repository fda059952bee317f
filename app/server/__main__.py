"""``python -m app.server``: run the local extract.page-compatible server.

Worker processes (multiprocessing 'spawn') import this module as ``__mp_main__``;
the guard keeps that import free of side effects and cheap.
"""

if __name__ == "__main__":
    from app.server.cli import serve_main

    raise SystemExit(serve_main())

"""The local extract.page-compatible server: the app's default, offline "local engine".

Run it with ``python -m app.server``; start it from the app with
:class:`app.server.launcher.LocalServer`.
"""

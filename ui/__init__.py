"""The desktop window (Qt). ``app/`` is the core and never imports this package."""

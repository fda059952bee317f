"""The app icon at every size (package data)."""

"""File pickers that never block: each opens a QFileDialog with ``open()`` and calls back
when the person has chosen. Tests replace these functions to choose for the person."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore
from PySide6.QtWidgets import QFileDialog, QWidget

from app import doctypes
from ui.text import translate


def document_filter() -> str:
    patterns = " ".join(f"*{ext}" for t in doctypes.ALL_TYPES for ext in t.extensions)
    return ";;".join(
        [
            translate("Dialogs", "Documents (%1)").replace("%1", patterns),
            translate("Dialogs", "All files (*)"),
        ]
    )


def _dialog(parent: QWidget | None, title: str, start: str | None) -> QFileDialog:
    dialog = QFileDialog(parent, title, start or str(Path.home()))
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog


def choose_files(
    parent: QWidget | None, start: str | None, done: Callable[[list[Path]], None]
) -> QFileDialog:
    dialog = _dialog(parent, translate("Dialogs", "Add documents"), start)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setNameFilter(document_filter())
    dialog.filesSelected.connect(lambda files: done([Path(f) for f in files]))
    dialog.open()
    return dialog


def choose_folder(
    parent: QWidget | None, title: str, start: str | None, done: Callable[[Path], None]
) -> QFileDialog:
    dialog = _dialog(parent, title, start)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.fileSelected.connect(lambda folder: done(Path(folder)))
    dialog.open()
    return dialog


def choose_save_file(
    parent: QWidget | None,
    title: str,
    suggested: Path,
    name_filter: str,
    done: Callable[[Path], None],
) -> QFileDialog:
    dialog = _dialog(parent, title, str(suggested))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(name_filter)
    dialog.selectFile(str(suggested))
    dialog.setDefaultSuffix(suggested.suffix.lstrip("."))
    dialog.fileSelected.connect(lambda name: done(Path(name)))
    dialog.open()
    return dialog

"""Dialogs for messages and unexpected errors (loaded when the first one is shown)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app import paths
from ui.messages import Level
from ui.text import translate


def message_box(
    parent: QWidget | None, level: Level, text: str, detail: str = "", title: str = ""
) -> QMessageBox:
    """A non-modal message box (``show()``, deleted on close). Never ``exec()``."""
    icons = {
        Level.INFO: QMessageBox.Icon.Information,
        Level.WARNING: QMessageBox.Icon.Warning,
        Level.ERROR: QMessageBox.Icon.Critical,
    }
    box = QMessageBox(parent)
    box.setWindowTitle(title or translate("Extractdesk", "Extractdesk"))
    box.setIcon(icons.get(level, QMessageBox.Icon.Information))
    box.setText(text)
    if detail:
        box.setDetailedText(detail)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


class ErrorDialog(QDialog):
    """Something unexpected happened: plain words first, the traceback behind Details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Something went wrong"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAccessibleName(self.tr("Error"))
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.summary = QLabel(
            self.tr(
                "Extractdesk ran into an unexpected problem. Your documents and results are "
                "safe. If this keeps happening, send us the log file (Open log folder)."
            )
        )
        self.summary.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName(self.tr("Technical details"))
        self.details.setVisible(False)
        self.details.setMinimumHeight(180)
        self.details_button = QPushButton(self.tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.setToolTip(self.tr("Show the technical details of the problem"))
        self.details_button.toggled.connect(self._toggle_details)
        open_logs = QPushButton(self.tr("Open log folder"))
        open_logs.setToolTip(self.tr("Show the folder that holds Extractdesk's log file"))
        open_logs.clicked.connect(self._open_logs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(open_logs, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(520, 160)

    def add_details(self, text: str) -> None:
        current = self.details.toPlainText()
        self.details.setPlainText(f"{current}\n\n{text}" if current else text)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.adjustSize()

    def _open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

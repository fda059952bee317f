"""Settings: API keys (kept in the system's password store), the services' addresses, and
how documents are sent and exported.

The provider sections are built from :data:`app.providers.REGISTRY`, so a provider added
to the core appears here without UI changes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import credentials, http, lanes, providers
from app.http import ApiError
from app.settings import Settings
from ui import dialogs, icons
from ui.async_qt import TaskSet
from ui.messages import Level, show_message
from ui.pipeline_host import LANE_LOCK
from ui.provider_options import OptionsForm, OptionsInvalid, section_of

TEST_TIMEOUT_S = 30.0

LaneOpener = Callable[..., Coroutine[Any, Any, Any]]


def keychain_available() -> bool:
    """False when keyring has no usable backend (its "fail" backend is selected)."""
    try:
        import keyring
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except Exception:  # noqa: BLE001 - any problem here means "no keychain"
        return False


def _scrolled(widget: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(widget)
    layout.addStretch(1)
    scroll.setWidget(page)
    return scroll


@contextmanager
def typed_key(provider_id: str, key: str) -> Iterator[None]:
    """Make ``key`` the provider's key while a lane is opened for "Test connection".

    The core reads keys through :func:`app.credentials.get_key`, where the environment
    variable wins; the variable is restored right after. (A core ``open_lane(api_key=…)``
    parameter would make this unnecessary; see the UI report.)"""
    name = credentials.env_var(provider_id)
    previous = os.environ.get(name)
    os.environ[name] = key
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@dataclass
class ProviderFields:
    info: providers.ProviderInfo
    key: QLineEdit | None
    base_url: QLineEdit | None
    test_button: QPushButton | None
    test_result: QLabel | None
    initial_key: str


class SettingsDialog(QDialog):
    """Signals:
    saved: the settings (and keys) were saved.
    """

    saved = Signal()

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        explanation: str = "",
        focus_provider: str | None = None,
        save_settings: Callable[[Settings], None] | None = None,
        open_lane: LaneOpener = lanes.open_lane,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings.model_copy(deep=True)
        self._save_settings = save_settings
        self._open_lane = open_lane
        self.tasks = TaskSet()
        self.fields: dict[str, ProviderFields] = {}
        self.keychain_notice_text = ""

        self.explanation = QLabel(explanation)
        self.explanation.setWordWrap(True)
        self.explanation.setObjectName("explanation")
        self.explanation.setVisible(bool(explanation))
        self.explanation.setAccessibleName(self.tr("Why Settings opened"))
        self.explanation.setFrameShape(QFrame.Shape.StyledPanel)
        self.explanation.setMargin(8)
        self.explanation.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.explanation.setAutoFillBackground(True)

        self.keychain_notice = QLabel()
        self.keychain_notice.setWordWrap(True)
        self.keychain_notice.setAccessibleName(self.tr("Password store notice"))
        self.keychain_notice.setFrameShape(QFrame.Shape.StyledPanel)
        self.keychain_notice.setMargin(8)
        self.keychain_notice.setVisible(False)
        if not keychain_available():
            self._show_keychain_notice(credentials.KeychainUnavailable("no backend").message)

        self.option_forms: dict[str, OptionsForm] = {}
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Settings pages"))
        self.tabs.addTab(_scrolled(self._general_group()), self.tr("General"))
        self.provider_tabs: dict[str, int] = {}
        for info in providers.REGISTRY.values():
            self.provider_tabs[info.id] = self.tabs.addTab(
                _scrolled(self._provider_group(info)), info.name
            )
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName(self.tr("Problem with the settings"))
        self.problem.setVisible(False)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.keychain_notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(640, 620)
        if focus_provider in self.provider_tabs:
            self.tabs.setCurrentIndex(self.provider_tabs[focus_provider])
        if focus_provider in self.fields:
            field = self.fields[focus_provider].key
            if field is not None:
                field.setFocus()

    # -- building

    def _general_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Sending and saving"))
        form = QFormLayout(group)
        self.start_automatically = QCheckBox(self.tr("Start as soon as documents are added"))
        self.start_automatically.setChecked(self.settings.start_automatically)
        self.start_automatically.setToolTip(
            self.tr("When this is off, documents wait in the list until you press Start")
        )
        self.extract_images = QCheckBox(self.tr("Include pictures from the documents"))
        self.extract_images.setChecked(self.settings.extract_images)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 16)
        self.concurrency.setValue(self.settings.upload_concurrency)
        self.concurrency.setAccessibleName(self.tr("Files sent at the same time"))
        self.concurrency.setToolTip(
            self.tr("More is faster on a good connection. Applies to documents added next.")
        )
        self.export_dir = QLineEdit(self.settings.export_dir or "")
        self.export_dir.setPlaceholderText(self.tr("Ask every time"))
        self.export_dir.setAccessibleName(self.tr("Default export folder"))
        browse = QPushButton(self.tr("Choose…"))
        browse.setToolTip(self.tr("Choose the folder exports go to"))
        browse.clicked.connect(self._browse_export_dir)
        row = QHBoxLayout()
        row.addWidget(self.export_dir, 1)
        row.addWidget(browse)
        self.open_folder = QCheckBox(self.tr("Open the folder after exporting"))
        self.open_folder.setChecked(self.settings.open_folder_after_export)
        form.addRow(self.start_automatically)
        form.addRow(self.extract_images)
        form.addRow(self.tr("Files sent at the same time:"), self.concurrency)
        form.addRow(self.tr("Export folder:"), row)
        form.addRow(self.open_folder)
        return group

    def _provider_group(self, info: providers.ProviderInfo) -> QGroupBox:
        group = QGroupBox()  # the tab already says which service this is
        group.setAccessibleName(info.name)
        form = QFormLayout(group)
        description = QLabel(info.description)
        description.setWordWrap(True)
        form.addRow(description)
        key_field = test_button = test_result = url_field = None
        initial = ""
        if info.needs_key:
            initial = credentials.get_key(info.id) or ""
            key_field = QLineEdit(initial)
            key_field.setEchoMode(QLineEdit.EchoMode.Password)
            key_field.setPlaceholderText(self.tr("Paste your API key here"))
            key_field.setAccessibleName(self.tr("API key for %1").replace("%1", info.name))
            key_field.setAcceptDrops(False)
            reveal = QAction(icons.icon("eye"), self.tr("Show the key"), key_field)
            reveal.setCheckable(True)
            reveal.setToolTip(self.tr("Show or hide the key"))
            reveal.toggled.connect(lambda shown, f=key_field, a=reveal: self._reveal(f, a, shown))
            key_field.addAction(reveal, QLineEdit.ActionPosition.TrailingPosition)
            key_field.setProperty("revealAction", reveal)
            form.addRow(self.tr("API key:"), key_field)
            if info.key_help:
                help_label = QLabel(info.key_help)
                help_label.setWordWrap(True)
                help_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
                form.addRow("", help_label)
            test_button = QPushButton(self.tr("Test connection"))
            test_button.setToolTip(
                self.tr("Check that %1 accepts this key").replace("%1", info.name)
            )
            test_button.clicked.connect(lambda _=False, pid=info.id: self.test_connection(pid))
            test_result = QLabel()
            test_result.setWordWrap(True)
            test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            test_result.setAccessibleName(self.tr("Connection test result"))
            row = QHBoxLayout()
            row.addWidget(test_button)
            row.addWidget(test_result, 1)
            form.addRow("", row)
        if info.default_base_url:
            url_field = QLineEdit(self.settings.base_urls.get(info.id, ""))
            url_field.setPlaceholderText(info.default_base_url)
            url_field.setAccessibleName(self.tr("Address of %1").replace("%1", info.name))
            url_field.setToolTip(
                self.tr("Only change this if your organisation runs its own server")
            )
            form.addRow(self.tr("Address (advanced):"), url_field)
        section = section_of(self.settings, info.id)
        if section is not None:
            options = OptionsForm(info.id, section)
            self.option_forms[info.id] = options
            form.addRow(options)
        self.fields[info.id] = ProviderFields(
            info, key_field, url_field, test_button, test_result, initial
        )
        return group

    def _reveal(self, field: QLineEdit, action: QAction, shown: bool) -> None:
        field.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        action.setIcon(icons.icon("eye-off" if shown else "eye"))
        action.setText(self.tr("Hide the key") if shown else self.tr("Show the key"))

    def _show_keychain_notice(self, message: str) -> None:
        self.keychain_notice_text = message
        self.keychain_notice.setText(message + " " + self.tr("The key is never written to a file."))
        self.keychain_notice.setVisible(True)

    def _browse_export_dir(self) -> None:
        dialogs.choose_folder(
            self,
            self.tr("Choose the export folder"),
            self.export_dir.text() or None,
            lambda folder: self.export_dir.setText(str(folder)),
        )

    # -- test connection

    def test_connection(self, provider_id: str) -> None:
        self.tasks.spawn(self._test(provider_id), name=f"test connection {provider_id}")

    async def _test(self, provider_id: str) -> None:
        fields = self.fields[provider_id]
        assert fields.key is not None and fields.test_result is not None
        assert fields.test_button is not None
        key = fields.key.text().strip()
        if not key:
            fields.test_result.setText(self.tr("Paste a key first."))
            return
        http.register_secret(key)
        base_url = (fields.base_url.text().strip() if fields.base_url else "") or None
        fields.test_button.setEnabled(False)
        fields.test_result.setText(self.tr("Checking…"))
        fields.test_result.setToolTip("")
        url = base_url or fields.info.default_base_url

        def build() -> Any:  # TLS set-up takes tens of ms: not on the window's thread
            return asyncio.run(self._open_lane(provider_id, base_url=url, engine=None))

        try:
            await asyncio.to_thread(LANE_LOCK.acquire)  # no job opens a lane meanwhile
            try:
                with typed_key(provider_id, key):
                    lane = await asyncio.to_thread(build)
            finally:
                LANE_LOCK.release()
            try:
                await asyncio.wait_for(lane.check_connection(), TEST_TIMEOUT_S)
            finally:
                await lane.aclose()
        except http.AuthFailed as exc:
            fields.test_result.setText(
                "✗ "
                + self.tr("%1 rejected this key. Check that you copied all of it.").replace(
                    "%1", fields.info.name
                )
            )
            fields.test_result.setToolTip(exc.detail)
        except ApiError as exc:
            fields.test_result.setText("✗ " + exc.message)
            fields.test_result.setToolTip(exc.detail)
        except TimeoutError:
            fields.test_result.setText(
                "✗ "
                + self.tr("%1 did not answer in time. Check your internet connection.").replace(
                    "%1", fields.info.name
                )
            )
        else:
            fields.test_result.setText(
                "✓ " + self.tr("Connected: %1 accepts this key.").replace("%1", fields.info.name)
            )
        finally:
            if not self.isHidden() or self.parent() is None:
                fields.test_button.setEnabled(True)

    # -- saving

    def apply_to_settings(self) -> Settings:
        """The settings as typed; raises :class:`OptionsInvalid` for a bad option."""
        s = self.settings
        for provider_id, options in self.option_forms.items():
            try:
                setattr(s, provider_id.replace("-", "_"), options.read())
            except OptionsInvalid:
                self.tabs.setCurrentIndex(self.provider_tabs[provider_id])
                raise
        s.start_automatically = self.start_automatically.isChecked()
        s.extract_images = self.extract_images.isChecked()
        s.upload_concurrency = self.concurrency.value()
        s.export_dir = self.export_dir.text().strip() or None
        s.open_folder_after_export = self.open_folder.isChecked()
        for provider_id, fields in self.fields.items():
            if fields.base_url is None:
                continue
            url = fields.base_url.text().strip()
            if url:
                s.base_urls[provider_id] = url
            else:
                s.base_urls.pop(provider_id, None)
        return s

    def save_keys(self) -> list[str]:
        """Store changed keys; returns plain-language notices (keychain trouble)."""
        notices: list[str] = []
        for provider_id, fields in self.fields.items():
            if fields.key is None:
                continue
            key = fields.key.text().strip()
            if key == fields.initial_key:
                continue
            try:
                if key:
                    http.register_secret(key)
                    credentials.set_key(provider_id, key)
                else:
                    credentials.delete_key(provider_id)
            except credentials.KeychainUnavailable as exc:
                notices.append(exc.message)
            fields.initial_key = key
        return notices

    def save(self) -> None:
        try:
            settings = self.apply_to_settings()
        except OptionsInvalid as exc:
            name = self.tabs.tabText(self.tabs.currentIndex())
            self.problem.setText(
                self.tr("Check the options of %1: %2").replace("%1", name).replace("%2", str(exc))
            )
            self.problem.setVisible(True)
            return
        notices = self.save_keys()
        if self._save_settings is not None:
            try:
                self._save_settings(settings)
            except OSError as exc:
                show_message(
                    Level.ERROR,
                    self.tr("The settings could not be saved (%1).").replace(
                        "%1", exc.strerror or str(exc)
                    ),
                    detail=str(exc),
                    box=True,
                )
                return
        for notice in dict.fromkeys(notices):
            self._show_keychain_notice(notice)
            show_message(Level.WARNING, notice, box=True)
        self.saved.emit()
        self.accept()

    def reject(self) -> None:
        self.tasks_cancel()
        super().reject()

    def accept(self) -> None:
        self.tasks_cancel()
        super().accept()

    def tasks_cancel(self) -> None:
        for task in self.tasks.pending():
            task.cancel()

    def key_for(self, provider_id: str) -> str:
        fields = self.fields.get(provider_id)
        return fields.key.text() if fields and fields.key else ""

    def ui_fields(self, provider_id: str) -> ProviderFields:
        return self.fields[provider_id]

    def is_key_visible(self, provider_id: str) -> bool:
        field = self.fields[provider_id].key
        return field is not None and field.echoMode() == QLineEdit.EchoMode.Normal

"""Settings: keys in the keychain (in memory here), show/hide, Test connection against the
real local server, the no-keychain notice, and the first use of a cloud provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QLineEdit

from app import credentials, paths
from app import settings as settings_store
from app.models import DocumentState
from app.settings import Settings
from tests.conftest import MemoryKeyring
from tests.documents import make_pdfs
from tests.ui.conftest import WAIT, WindowFactory, all_in, wait_states
from ui.provider_options import FieldsEditor
from ui.settings_dialog import SettingsDialog

CLOUD = "extract-page"


@pytest.fixture
def dialog(qtbot: Any, qloop: object) -> SettingsDialog:
    widget = SettingsDialog(Settings(), save_settings=settings_store.save)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_providers_come_from_the_registry_and_keys_are_masked(dialog: SettingsDialog) -> None:
    from app import providers

    assert list(dialog.fields) == list(providers.REGISTRY)
    local = dialog.fields["local"]
    assert local.key is None and local.test_button is None  # no key for the local engine
    field = dialog.fields[CLOUD].key
    assert isinstance(field, QLineEdit)
    assert field.echoMode() == QLineEdit.EchoMode.Password
    reveal = field.property("revealAction")
    reveal.trigger()
    assert dialog.is_key_visible(CLOUD)
    reveal.trigger()
    assert not dialog.is_key_visible(CLOUD)


def test_a_saved_key_goes_to_the_keychain_and_nowhere_else(
    qtbot: Any, dialog: SettingsDialog, memory_keyring: MemoryKeyring
) -> None:
    dialog.fields[CLOUD].key.setText("  sk-test-123456  ")  # type: ignore[union-attr]
    dialog.fields[CLOUD].base_url.setText("https://eu.example.test")  # type: ignore[union-attr]
    dialog.concurrency.setValue(7)
    with qtbot.waitSignal(dialog.saved):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert memory_keyring.store[("extractdesk", CLOUD)] == "sk-test-123456"
    assert credentials.get_key(CLOUD) == "sk-test-123456"
    stored = settings_store.settings_path().read_text()
    assert "sk-test" not in stored
    data = json.loads(stored)
    assert data["upload_concurrency"] == 7
    assert data["base_urls"] == {CLOUD: "https://eu.example.test"}
    # reopening reads the key back (masked); clearing the field deletes it
    again = SettingsDialog(settings_store.load(), save_settings=settings_store.save)
    qtbot.addWidget(again)
    assert again.key_for(CLOUD) == "sk-test-123456"
    again.fields[CLOUD].key.setText("")  # type: ignore[union-attr]
    again.save()
    assert ("extractdesk", CLOUD) not in memory_keyring.store
    for path in paths.config_dir().rglob("*"):
        if path.is_file():
            assert "sk-test" not in path.read_text(errors="replace")


def test_test_connection_reports_success_and_the_servers_reason(
    qtbot: Any, dialog: SettingsDialog, engine: Any
) -> None:
    fields = dialog.fields[CLOUD]
    assert fields.key is not None and fields.base_url is not None
    assert fields.test_button is not None and fields.test_result is not None
    fields.base_url.setText(engine.url)
    fields.key.setText(engine.api_key)
    fields.test_button.click()
    qtbot.waitUntil(lambda: fields.test_result.text().startswith("✓"), timeout=WAIT)
    assert "accepts this key" in fields.test_result.text()
    fields.key.setText("not-the-right-key")
    fields.test_button.click()
    qtbot.waitUntil(lambda: fields.test_result.text().startswith("✗"), timeout=WAIT)
    assert "rejected this key" in fields.test_result.text()
    assert "HTTP 401" in fields.test_result.toolTip()
    assert credentials.get_key(CLOUD) is None  # testing never stores the key
    fields.key.setText("")
    fields.test_button.click()
    qtbot.waitUntil(lambda: "Paste a key first" in fields.test_result.text(), timeout=WAIT)


def test_without_a_keychain_the_key_is_kept_for_this_session_only(
    qtbot: Any, qloop: object, caplog: Any
) -> None:
    keyring.set_keyring(fail.Keyring())
    try:
        widget = SettingsDialog(Settings(), save_settings=settings_store.save)
        qtbot.addWidget(widget)
        assert widget.keychain_notice.isVisibleTo(widget)
        assert "password store" in widget.keychain_notice.text()
        widget.fields[CLOUD].key.setText("session-only-key")  # type: ignore[union-attr]
        widget.save()
        assert credentials.get_key(CLOUD) == "session-only-key"
        for path in paths.config_dir().rglob("*"):
            if path.is_file():
                assert "session-only-key" not in path.read_text(errors="replace")
    finally:
        credentials._session_keys.clear()


def test_first_use_of_a_cloud_provider_asks_for_the_key_then_sends(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path, engine: Any
) -> None:
    settings = Settings(provider=CLOUD, base_urls={CLOUD: engine.url})
    window = make_window(settings)
    assert window.current_provider().id == CLOUD
    window.add_paths(make_pdfs(tmp_path, 2, prefix="cloud"))
    qtbot.waitUntil(lambda: window.settings_dialog is not None, timeout=WAIT)
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    assert "paste your API key" in dialog.explanation.text()
    assert window.model.rowCount() == 2
    assert all(r.state is DocumentState.QUEUED for r in window.model.rows())
    dialog.fields[CLOUD].key.setText(engine.api_key)  # type: ignore[union-attr]
    dialog.save()
    wait_states(qtbot, window, all_in(DocumentState.DONE, 2))
    assert window.settings_dialog is None


def test_the_provider_choice_is_remembered(qtbot: Any, make_window: WindowFactory) -> None:
    window = make_window()
    index = window.provider_combo.findData(CLOUD)
    window.provider_combo.setCurrentIndex(index)
    assert settings_store.load().provider == CLOUD
    assert any("needs an API key" in m[1] for m in window.messages)


def test_each_services_options_are_edited_and_checked(qtbot: Any, dialog: SettingsDialog) -> None:
    from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox

    assert set(dialog.option_forms) == {"anthropic", "anesya", "olostep"}
    anesya = dialog.option_forms["anesya"]
    server = anesya.findChildren(QComboBox)[0]
    server.setCurrentText("FR-2")
    olostep = dialog.option_forms["olostep"]
    olostep.findChildren(QSpinBox)[0].setValue(250)
    claude = dialog.option_forms["anthropic"]
    claude.findChildren(QCheckBox)[0].setChecked(True)
    editor = claude.findChild(FieldsEditor)
    assert editor is not None
    editor.add_row("total amount", "number", "The invoice total")  # a space: not a valid name
    dialog.save()
    assert dialog.problem.isVisible() and "Anthropic" in dialog.problem.text()
    assert dialog.tabs.currentIndex() == dialog.provider_tabs["anthropic"]
    assert not settings_store.settings_path().exists()  # nothing saved yet
    editor.table.item(0, 0).setText("total_amount")
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    saved = settings_store.load()
    assert saved.anesya.server == "FR-2"
    assert saved.olostep.max_batch_items == 250
    assert saved.anthropic.delete_files_when_done
    assert [f.model_dump() for f in saved.anthropic.fields] == [
        {"name": "total_amount", "type": "number", "description": "The invoice total"}
    ]
    assert saved.job_options("anthropic")["anthropic"]["fields"][0]["name"] == "total_amount"

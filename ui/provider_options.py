"""Per-service options in Settings, built from the core's settings models.

Each provider whose id names a section of :class:`app.settings.Settings` (``anthropic``,
``anesya``, ``olostep``…) gets a small form: a check box for a yes/no, a list for a fixed
choice, a number box, a text field, and a table for the fields Claude should pull out. A
section added to the core appears here without UI changes; the labels below only give the
known options plain words.
"""

from __future__ import annotations

import types
import typing
from typing import Any, cast

from annotated_types import Ge, Le
from pydantic import BaseModel, ValidationError
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.text import translate


def _labels() -> dict[tuple[str, str], tuple[str, str]]:
    """(section, option) → (label, tooltip), in plain words."""
    return {
        ("anthropic", "model"): (
            translate("ProviderOptions", "Model:"),
            translate("ProviderOptions", "The Claude model that reads your documents"),
        ),
        ("anthropic", "fields"): (
            translate("ProviderOptions", "Fields to pull out:"),
            translate(
                "ProviderOptions",
                "Claude fills these in for every document (leave empty for text only)",
            ),
        ),
        ("anthropic", "delete_files_when_done"): (
            translate("ProviderOptions", "Delete the uploaded files from Anthropic when done"),
            translate("ProviderOptions", "Otherwise Anthropic keeps them until you delete them"),
        ),
        ("anesya", "server"): (
            translate("ProviderOptions", "Data centre:"),
            translate("ProviderOptions", "Where Anesya processes them"),
        ),
        ("anesya", "schema_id"): (
            translate("ProviderOptions", "Schema (optional):"),
            translate("ProviderOptions", "The id of one of your Anesya schemas"),
        ),
        ("anesya", "classifier_id"): (
            translate("ProviderOptions", "Classifier (optional):"),
            translate("ProviderOptions", "The id of one of your Anesya classifiers"),
        ),
        ("anesya", "page_start"): (
            translate("ProviderOptions", "First page:"),
            translate("ProviderOptions", "Start reading at this page"),
        ),
        ("anesya", "page_end"): (
            translate("ProviderOptions", "Last page:"),
            translate("ProviderOptions", "Stop reading after this page"),
        ),
        ("olostep", "max_batch_items"): (
            translate("ProviderOptions", "Links per batch:"),
            translate(
                "ProviderOptions",
                "New Olostep accounts may send 100 links at once; raise it if your plan allows",
            ),
        ),
    }


def section_of(settings: BaseModel, provider_id: str) -> BaseModel | None:
    section = getattr(settings, provider_id.replace("-", "_"), None)
    return section if isinstance(section, BaseModel) else None


class FieldsEditor(QWidget):
    """A table of fields (name, kind, description) with Add and Remove."""

    def __init__(self, model: type[BaseModel], rows: list[BaseModel]) -> None:
        super().__init__()
        self.model = model
        self.kinds = (
            _choices(model.model_fields["type"].annotation) if "type" in model.model_fields else []
        )
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(
            [
                translate("ProviderOptions", "Name"),
                translate("ProviderOptions", "Kind"),
                translate("ProviderOptions", "What it is"),
            ]
        )
        self.table.setAccessibleName(translate("ProviderOptions", "Fields to pull out"))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(180)
        add = QPushButton(translate("ProviderOptions", "Add field"))
        add.setToolTip(translate("ProviderOptions", "Add a field for the service to fill in"))
        add.clicked.connect(lambda: self.add_row())
        remove = QPushButton(translate("ProviderOptions", "Remove"))
        remove.setToolTip(translate("ProviderOptions", "Remove the selected field"))
        remove.clicked.connect(self._remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        for row in rows:
            data = row.model_dump()
            self.add_row(
                str(data.get("name", "")),
                str(data.get("type", "")),
                str(data.get("description", "")),
            )

    def add_row(self, name: str = "", kind: str = "", description: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        combo = QComboBox()
        combo.addItems([str(k) for k in self.kinds])
        if kind:
            combo.setCurrentText(kind)
        self.table.setCellWidget(row, 1, combo)
        self.table.setItem(row, 2, QTableWidgetItem(description))

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def value(self) -> list[dict[str, Any]]:
        rows = []
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, 0)
            name = name_item.text().strip() if name_item else ""
            if not name:
                continue
            combo = self.table.cellWidget(row, 1)
            desc_item = self.table.item(row, 2)
            rows.append(
                {
                    "name": name,
                    "type": combo.currentText() if isinstance(combo, QComboBox) else "text",
                    "description": desc_item.text().strip() if desc_item else "",
                }
            )
        return rows


class OptionsForm(QWidget):
    """The options of one provider's settings section."""

    def __init__(self, provider_id: str, section: BaseModel) -> None:
        super().__init__()
        self.provider_id = provider_id
        self.section_type = type(section)
        self.readers: dict[str, typing.Callable[[], Any]] = {}
        labels = _labels()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        values = section.model_dump()
        for name, info in self.section_type.model_fields.items():
            label, tip = labels.get(
                (provider_id, name), (name.replace("_", " ").capitalize() + ":", "")
            )
            widget, reader = self._editor(
                info.annotation, info.metadata, getattr(section, name), values[name], label
            )
            widget.setToolTip(tip)
            widget.setAccessibleName(label.rstrip(":"))
            self.readers[name] = reader
            if isinstance(widget, QCheckBox):
                form.addRow(widget)
            else:
                form.addRow(label, widget)

    def _editor(
        self, annotation: Any, metadata: list[Any], value: Any, plain: Any, label: str
    ) -> tuple[QWidget, typing.Callable[[], Any]]:
        optional = False
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = len(args) < len(typing.get_args(annotation))
            annotation = args[0] if len(args) == 1 else str
            origin = typing.get_origin(annotation)
        if annotation is bool:
            box = QCheckBox(label)
            box.setChecked(bool(value))
            return box, box.isChecked
        choices = _choices(annotation)
        if choices:
            combo = QComboBox()
            combo.addItems([str(c) for c in choices])
            combo.setCurrentText(str(value))
            return combo, combo.currentText
        if annotation is int:
            spin = QSpinBox()
            low = int(next((cast(int, m.ge) for m in metadata if isinstance(m, Ge)), 0))
            high = int(next((cast(int, m.le) for m in metadata if isinstance(m, Le)), 1_000_000))
            if optional:
                spin.setRange(int(low) - 1, int(high))
                spin.setSpecialValueText(translate("ProviderOptions", "Not set"))
                spin.setValue(int(value) if value is not None else int(low) - 1)
                return spin, lambda: None if spin.value() < int(low) else spin.value()
            spin.setRange(int(low), int(high))
            spin.setValue(int(value))
            return spin, spin.value
        if origin is list:
            (item,) = typing.get_args(annotation) or (dict,)
            if isinstance(item, type) and issubclass(item, BaseModel):
                editor = FieldsEditor(item, list(value))
                return editor, editor.value
        line = QLineEdit("" if value is None else str(value))
        line.setAcceptDrops(False)
        if optional:
            line.setPlaceholderText(translate("ProviderOptions", "Not set"))
            return line, lambda: line.text().strip() or None
        return line, lambda: line.text().strip()

    def read(self) -> BaseModel:
        """The section with the typed values; raises :class:`OptionsInvalid` in words."""
        data = {name: reader() for name, reader in self.readers.items()}
        try:
            return self.section_type.model_validate(data)
        except ValidationError as exc:
            raise OptionsInvalid(exc) from exc


class OptionsInvalid(ValueError):
    def __init__(self, error: ValidationError) -> None:
        problems = []
        for item in error.errors()[:3]:
            where = " › ".join(str(p) for p in item.get("loc", ()))
            problems.append(f"{where}: {item.get('msg', '')}")
        super().__init__("; ".join(problems))


def _choices(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return []

"""Every user-visible string in ui/ can be translated: it goes through ``self.tr`` or
``translate`` with literal text (what ``pyside6-lupdate`` can collect), and no widget gets
bare text."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

UI = Path(__file__).resolve().parents[2] / "ui"

TEXT_SETTERS = {
    "QAction",
    "QCheckBox",
    "QGroupBox",
    "QLabel",
    "QPushButton",
    "QRadioButton",
    "addItem",
    "addMenu",
    "addRow",
    "addTab",
    "insertTab",
    "message_box",
    "setAccessibleDescription",
    "setAccessibleName",
    "setFormat",
    "setInformativeText",
    "setPlaceholderText",
    "setStatusTip",
    "setTabText",
    "setText",
    "setTitle",
    "setToolTip",
    "setWhatsThis",
    "setWindowTitle",
    "showMessage",
    "show_message",
}
"""Calls whose text reaches the screen."""


def calls() -> list[tuple[str, ast.Call]]:
    found = []
    for source in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                found.append((f"{source.name}:{node.lineno}", node))
    return found


def name_of(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def is_words(node: ast.expr) -> bool:
    """A string literal with letters in it, or an f-string: text a person would read."""
    if isinstance(node, ast.JoinedStr):
        return True
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(c.isalpha() for c in node.value)
    )


def literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def test_no_widget_gets_untranslated_words() -> None:
    bare = [
        f"{where} {name_of(call)}({ast.unparse(arg)[:50]})"
        for where, call in calls()
        if name_of(call) in TEXT_SETTERS
        for arg in [*call.args, *(k.value for k in call.keywords if k.arg != "level")]
        if is_words(arg)
    ]
    assert bare == [], "wrap these in self.tr(...) or translate(...):\n" + "\n".join(bare)


def test_translated_text_and_contexts_are_literals() -> None:
    """``pyside6-lupdate`` reads the source: ``tr(variable)`` or ``translate(context_var,
    ...)`` would leave the text out of every translation."""
    hidden = []
    for where, call in calls():
        name = name_of(call)
        if name == "tr" and not (call.args and literal(call.args[0])):
            hidden.append(f"{where} tr({ast.unparse(call.args[0]) if call.args else ''})")
        if name == "translate" and not (len(call.args) >= 2 and all(map(literal, call.args[:2]))):
            hidden.append(f"{where} translate({', '.join(ast.unparse(a) for a in call.args)})")
    for source in sorted(UI.glob("*.py")):  # nor can it follow ``t = self.tr; t("...")``
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and source.name != "text.py":
                value = node.value
                if (isinstance(value, ast.Attribute) and value.attr in ("tr", "translate")) or (
                    isinstance(value, ast.Name) and value.id == "translate"
                ):
                    hidden.append(f"{source.name}:{node.lineno} {ast.unparse(node)}")
    assert hidden == [], "\n".join(hidden)


def test_lupdate_collects_the_window_s_strings(tmp_path: Path) -> None:
    lupdate = shutil.which("pyside6-lupdate", path=str(Path(sys.executable).parent))
    assert lupdate is not None, "pyside6-lupdate comes with PySide6"
    catalogue = tmp_path / "extractdesk.ts"
    done = subprocess.run(
        [lupdate, *map(str, sorted(UI.glob("*.py"))), "-ts", str(catalogue)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    messages = {
        (context.findtext("name"), message.findtext("source"))
        for context in ElementTree.parse(catalogue).getroot().iter("context")
        for message in context.iter("message")
    }
    wrapped = sum(1 for _, call in calls() if name_of(call) in ("tr", "translate"))
    assert len(messages) >= 0.9 * wrapped  # (the same text twice in a context counts once)
    for expected in (
        ("MainWindow", "Add files…"),
        ("DropArea", "Drop documents here"),
        ("ProviderOptions", "Links per batch:"),
        ("DocumentState", "Extracting"),
    ):
        assert expected in messages

"""Words shown to people: translation, state labels, sizes and durations.

Every user-visible string in ui/ goes through ``translate("Context", "text")`` (outside a
class) or ``self.tr("text")`` (in QObjects); ``pyside6-lupdate ui/*.py -ts file.ts``
collects both, with their contexts. Placeholders are ``%1``, ``%2`` so translators can
reorder them. The core's English labels (``DocumentState.label``) are
mirrored here so that they can be translated too.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.models import DocumentState

translate = QCoreApplication.translate


def state_label(state: DocumentState) -> str:
    labels = {
        DocumentState.QUEUED: translate("DocumentState", "Waiting"),
        DocumentState.PREPARING: translate("DocumentState", "Checking file"),
        DocumentState.UPLOADING: translate("DocumentState", "Uploading"),
        DocumentState.SUBMITTED: translate("DocumentState", "Sent"),
        DocumentState.PROCESSING: translate("DocumentState", "Extracting"),
        DocumentState.FETCHING: translate("DocumentState", "Downloading result"),
        DocumentState.DONE: translate("DocumentState", "Done"),
        DocumentState.FAILED: translate("DocumentState", "Failed"),
        DocumentState.CANCELLED: translate("DocumentState", "Cancelled"),
        DocumentState.DUPLICATE: translate("DocumentState", "Already in the list"),
    }
    return labels.get(state, state.label)


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return translate("Extractdesk", "%1 B").replace("%1", str(size))
    value = size / 1024
    units = (
        translate("Extractdesk", "%1 KB"),
        translate("Extractdesk", "%1 MB"),
        translate("Extractdesk", "%1 GB"),
        translate("Extractdesk", "%1 TB"),
    )
    index = 0
    while value >= 1024 and index < len(units) - 1:
        value /= 1024
        index += 1
    number = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return units[index].replace("%1", number)


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return translate("Duration", "%1 s").replace("%1", str(seconds))
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}:{seconds:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"

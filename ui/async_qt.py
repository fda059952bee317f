"""The glue between Qt and asyncio (qasync): owned tasks, typed slots, dialog futures.

Rules this module makes easy to follow (DESIGN.md, notes on qasync):

* A task started from a widget is *owned*: :class:`TaskSet` keeps a strong reference (qasync
  0.28 does not), can cancel everything at shutdown, and routes an unexpected exception to
  ``sys.excepthook`` (the app's error dialog; pytest-qt's capture in tests).
* No ``exec()`` inside a coroutine: :func:`dialog_result` opens a dialog with ``open()`` and
  returns a future resolved by its ``finished`` signal.

``asyncio`` is imported when first needed: the window is on screen before it loads.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QDialog

log = logging.getLogger("extractdesk.ui")

P = ParamSpec("P")
T = TypeVar("T")


class TaskSet:
    """Tasks started by one owner (a window), kept alive until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(
        self, work: Coroutine[Any, Any, T] | Awaitable[T], name: str | None = None
    ) -> asyncio.Future[T]:
        """Run a coroutine as an owned task (or own an awaitable, e.g. a pipeline call)."""
        import asyncio

        if asyncio.iscoroutine(work):
            task: asyncio.Future[T] = asyncio.get_event_loop().create_task(work, name=name)
        else:
            task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def __len__(self) -> int:
        return len(self._tasks)

    def pending(self) -> list[asyncio.Future[Any]]:
        return [t for t in self._tasks if not t.done()]

    async def cancel_all(self, *, except_current: bool = True) -> None:
        import asyncio

        current = asyncio.current_task()
        tasks = [t for t in self._tasks if not t.done() and not (except_current and t is current)]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


def async_slot(
    tasks: Callable[[Any], TaskSet],
) -> Callable[[Callable[P, Coroutine[Any, Any, None]]], Callable[P, None]]:
    """Turn ``async def method(self, ...)`` into a plain slot that starts an owned task.

    ``tasks(self)`` returns the owner's :class:`TaskSet`. Typed, unlike qasync.asyncSlot,
    and it does not trim signal arguments: connect with a matching signature (or a lambda).
    """

    def decorate(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            tasks(args[0]).spawn(fn(*args, **kwargs), name=fn.__qualname__)

        return wrapper

    return decorate


def dialog_result(dialog: QDialog) -> asyncio.Future[int]:
    """Open ``dialog`` window-modally with ``open()`` and return a future of its result
    code. Safe inside a coroutine (no nested event loop)."""
    import asyncio

    future: asyncio.Future[int] = asyncio.get_event_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(finished)
    dialog.open()
    return future

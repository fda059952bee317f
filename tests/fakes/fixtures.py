"""Pytest fixtures for the fakes (import them into a test module to use them).

pytest loads ``conftest.py`` only from the directories it collects, so these fixtures live
in an importable module instead::

    from tests.fakes.fixtures import anthropic_fake

    __all__ = ["anthropic_fake"]  # re-exported: keeps ruff from flagging F401/F811

    def test_upload(anthropic_fake: AnthropicFake) -> None: ...

Each fixture is function-scoped: it yields a started fake and, at teardown, stops it and
then fails the test if the fake saw any spec violation (:meth:`FakeService.assert_clean`;
a test that causes violations on purpose calls ``take_violations()``). Constructor
arguments can be passed by indirect parametrisation::

    @pytest.mark.parametrize("olostep_fake", [{"max_items": 3}], indirect=True)

Most settings are also plain attributes that can be changed on the running fake
(``steps_to_finish``, ``max_items``, ``max_file_bytes``, ``credits`` ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import pytest

from tests.fakes.anesya import AnesyaFake
from tests.fakes.anthropic import AnthropicFake
from tests.fakes.base import FakeService
from tests.fakes.olostep import OlostepFake

__all__ = ["anesya_fake", "anthropic_fake", "olostep_fake", "running"]

F = TypeVar("F", bound=FakeService)


def running(fake: F) -> Iterator[F]:
    """Start ``fake``, yield it, then stop it and assert it saw no violation."""
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    fake.assert_clean()


def _kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", None) or {})


@pytest.fixture
def anthropic_fake(request: pytest.FixtureRequest) -> Iterator[AnthropicFake]:
    """A started :class:`AnthropicFake`; violations fail the test at teardown."""
    yield from running(AnthropicFake(**_kwargs(request)))


@pytest.fixture
def anesya_fake(request: pytest.FixtureRequest) -> Iterator[AnesyaFake]:
    """A started :class:`AnesyaFake`; violations fail the test at teardown."""
    yield from running(AnesyaFake(**_kwargs(request)))


@pytest.fixture
def olostep_fake(request: pytest.FixtureRequest) -> Iterator[OlostepFake]:
    """A started :class:`OlostepFake`; violations fail the test at teardown."""
    yield from running(OlostepFake(**_kwargs(request)))

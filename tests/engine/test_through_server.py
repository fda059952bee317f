"""The robustness cases through the real local server: each bad document fails only its own
item with the engine's code and reason, and the worker pool keeps serving afterwards.

Skipped where the local server (app.server, built separately) is not part of the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

launcher = pytest.importorskip("app.server.launcher")
helpers = pytest.importorskip("tests.server.helpers")

Docs = Callable[[str], Any]


@pytest.fixture(scope="module")
def engine_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    local = launcher.LocalServer(
        tmp_path_factory.mktemp("engine-server"), workers=2, test_mode=True, item_timeout=60
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


def _path(doc: Any) -> Path:
    return doc if isinstance(doc, Path) else Path(doc.path)


def test_hostile_documents_fail_only_their_items(engine_server: Any, docs: Docs) -> None:
    cases = [
        ("text", "application/pdf", None, ""),
        ("encrypted", "application/pdf", "extraction_failed", "password-protected"),
        ("corrupt", "application/pdf", "extraction_failed", "damaged"),
        ("blank", "application/pdf", "extraction_failed", "no text could be found"),
        ("png_bomb", "image/png", "document_too_large", "pixels"),
        ("pdf_bomb", "application/pdf", "extraction_failed", "no text could be found"),
        ("scan150", "application/pdf", None, ""),
    ]
    with (
        httpx.Client(
            base_url=engine_server.url, headers={"X-API-KEY": engine_server.api_key}, timeout=30
        ) as api,
        httpx.Client(timeout=30) as storage,
    ):
        ids = []
        for name, ctype, _, _ in cases:
            path = _path(docs(name))
            ids.append(
                helpers.upload(
                    api, storage, path.read_bytes(), filename=path.name, content_type=ctype
                )
            )
        batch = helpers.wait_for_batch(api, helpers.start_batch(api, ids)["id"], timeout=120)
        assert batch["status"] == "partially_failed"
        items = helpers.all_items(api, batch["id"])
        for item, (name, _, code, words) in zip(items, cases, strict=True):
            if code is None:
                assert item["status"] == "succeeded", (name, item.get("error"))
                result = api.get(item["result_url"], follow_redirects=True).json()
                assert [c for c in result["chunks"] if c["chunk_type"] == "text"], name
            else:
                assert item["status"] == "failed", name
                assert item["error"]["code"] == code, (name, item["error"])
                assert words in item["error"]["message"], (name, item["error"])
        # the pool is healthy afterwards
        again = helpers.upload(
            api, storage, _path(docs("tables")).read_bytes(), filename="tables.pdf"
        )
        done = helpers.wait_for_batch(api, helpers.start_batch(api, [again])["id"], timeout=60)
        assert done["status"] == "completed"

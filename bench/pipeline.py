"""Pipeline speed and memory against the local server, beside a minimal httpx script.

Run: .venv/bin/python bench/pipeline.py [--small 200] [--big-mib 1024]

Both sides make the same requests to the same real local server (started here):
create file → PUT → create batch → poll → fetch results. Printed ratios:

* 200 small PDFs, wall time: ours / script (target ≤ 1.15)
* one 1 GiB upload, throughput: ours / script (target ≥ 0.8)
* peak RSS growth during our 1 GiB upload (target < 64 MiB)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.journal import JobRecord, Journal
from app.pipeline import Pipeline, PipelineConfig
from app.providers.base import BatchLane, RetryCallback
from app.providers.extract_page import ExtractPageClient
from app.server.launcher import LocalServer
from app.uploads import prepare_sync
from tests.documents import make_pdfs

POLL = 1.0


# --------------------------------------------------------------------------- baseline


async def script_small(url: str, key: str, files: list[Path]) -> float:
    """The minimal hand-written httpx client: same requests, no journal, no policy."""
    started = time.perf_counter()
    headers = {"X-API-KEY": key}
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as api,
        httpx.AsyncClient(timeout=60) as bare,
    ):
        sem = asyncio.Semaphore(4)

        async def send(path: Path) -> str:
            async with sem:
                data = path.read_bytes()
                r = await api.post(
                    "/v1/files",
                    json={
                        "filename": path.name,
                        "content_type": "application/pdf",
                        "size_bytes": len(data),
                    },
                )
                body = r.json()
                put = await bare.put(
                    body["upload"]["url"], content=data, headers={"Content-Type": "application/pdf"}
                )
                put.raise_for_status()
                return str(body["id"])

        ids = await asyncio.gather(*(send(p) for p in files))
        r = await api.post(
            "/v1/batches",
            json={"source": {"type": "files", "file_ids": ids}},
            headers={"Idempotency-Key": f"bench-{time.time()}"},
        )
        batch_id = r.json()["id"]
        while True:
            await asyncio.sleep(POLL)
            status = (await api.get(f"/v1/batches/{batch_id}", params={"limit": 1})).json()
            if status["status"] in ("completed", "partially_failed", "failed", "cancelled"):
                break
        items, cursor = [], None
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = (await api.get(f"/v1/batches/{batch_id}", params=params)).json()
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        dl = asyncio.Semaphore(4)

        async def fetch(item: dict[str, str]) -> None:
            async with dl:
                r = await api.get(item["result_url"])
                got = await bare.get(r.headers["Location"])
                got.json()

        await asyncio.gather(*(fetch(i) for i in items if i["status"] == "succeeded"))
    return time.perf_counter() - started


async def script_upload(url: str, key: str, path: Path) -> float:
    size = path.stat().st_size
    async with (
        httpx.AsyncClient(base_url=url, headers={"X-API-KEY": key}, timeout=600) as api,
        httpx.AsyncClient(timeout=600) as bare,
    ):
        r = await api.post(
            "/v1/files",
            json={"filename": path.name, "content_type": "application/pdf", "size_bytes": size},
        )
        target = r.json()["upload"]["url"]

        async def body() -> object:
            with path.open("rb") as fh:
                while chunk := fh.read(1024 * 1024):
                    yield chunk

        started = time.perf_counter()
        put = await bare.put(
            target,
            content=body(),
            headers={"Content-Length": str(size), "Content-Type": "application/pdf"},
        )
        put.raise_for_status()
        return time.perf_counter() - started


# --------------------------------------------------------------------------- ours


async def ours_small(url: str, key: str, files: list[Path], data: Path) -> float:
    journal = Journal(data / f"journal-{time.time()}.sqlite3")

    async def open_lane(job: JobRecord, on_retry: RetryCallback) -> BatchLane:
        return ExtractPageClient(key, url, on_retry=on_retry)

    pipeline = Pipeline(
        journal, data / "results", open_lane, config=PipelineConfig(poll_initial=POLL)
    )
    started = time.perf_counter()
    job_id = pipeline.start_job(files, "local")
    await pipeline.wait(job_id)
    elapsed = time.perf_counter() - started
    states = {d.state.value for d in journal.documents(job_id)}
    assert states == {"done"}, states
    journal.close()
    return elapsed


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def ours_upload(url: str, key: str, path: Path) -> tuple[float, int]:
    client = ExtractPageClient(key, url)
    try:
        prepared = await asyncio.to_thread(prepare_sync, path)
        remote = await client.reserve(prepared)
        with PeakRss() as rss:
            started = time.perf_counter()
            await client.upload(remote, prepared)
            elapsed = time.perf_counter() - started
        return elapsed, rss.peak - rss.base
    finally:
        await client.aclose()


# --------------------------------------------------------------------------- main


def big_file(path: Path, mib: int) -> Path:
    chunk = os.urandom(1024 * 1024)
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.4\n%bench\n")
        for _ in range(mib):
            fh.write(chunk)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="extractdesk-bench-") as tmp:
        root = Path(tmp)
        server = LocalServer(root / "server", max_upload_bytes=(args.big_mib + 16) * 2**20)
        server.start()
        try:
            files = make_pdfs(root / "small", args.small)
            rows = []
            for r in range(args.rounds):  # alternate the order to share warm-up fairly
                if r % 2 == 0:
                    base = asyncio.run(script_small(server.url, server.api_key, files))
                    ours = asyncio.run(ours_small(server.url, server.api_key, files, root))
                else:
                    ours = asyncio.run(ours_small(server.url, server.api_key, files, root))
                    base = asyncio.run(script_small(server.url, server.api_key, files))
                rows.append((base, ours))
            base = min(b for b, _ in rows)
            ours = min(o for _, o in rows)
            print(
                f"{args.small} small PDFs: script {base:.2f} s, ours {ours:.2f} s, "
                f"ratio {ours / base:.3f} (target <= 1.15)"
            )

            big = big_file(root / "big.pdf", args.big_mib)
            size = big.stat().st_size
            script_t = asyncio.run(script_upload(server.url, server.api_key, big))
            ours_t, growth = asyncio.run(ours_upload(server.url, server.api_key, big))
            script_mbps = size / script_t / 2**20
            ours_mbps = size / ours_t / 2**20
            print(
                f"{args.big_mib} MiB upload: script {script_mbps:.0f} MiB/s, ours "
                f"{ours_mbps:.0f} MiB/s, throughput ratio {ours_mbps / script_mbps:.3f} "
                f"(target >= 0.8)"
            )
            print(f"peak RSS growth during our upload: {growth / 2**20:.1f} MiB (target < 64 MiB)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()

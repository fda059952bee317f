"""Driving the real local extract.page-compatible server from tests (its test mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from app.server.launcher import LocalServer


class ServerControl:
    """The test-mode control routes: faults, the request log, holding the workers."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.url = server.url
        self.api_key = server.api_key
        self._http = httpx.Client(base_url=server.url, timeout=30)

    def close(self) -> None:
        self._http.close()

    def faults(self, *rules: dict[str, Any]) -> None:
        self._http.post("/_test/faults", json={"rules": list(rules)}).raise_for_status()

    def clear_faults(self) -> None:
        self._http.delete("/_test/faults").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        response = self._http.get("/_test/requests")
        response.raise_for_status()
        data = response.json()
        return list(data["requests"] if isinstance(data, dict) else data)

    def clear_requests(self) -> None:
        self._http.delete("/_test/requests").raise_for_status()

    def hold(self, hold: bool) -> None:
        self._http.post("/_test/hold", json={"hold": hold}).raise_for_status()

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._http.request(method, path, headers={"X-API-KEY": self.api_key}, **kwargs)

    def batches(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = self.api("GET", "/v1/batches", params=params).json()
            found.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def reset(self) -> None:
        self.clear_faults()
        self.hold(False)
        self.clear_requests()


def start_test_server(data_dir: Path, **kwargs: Any) -> LocalServer:
    server = LocalServer(data_dir, test_mode=True, **kwargs)
    server.start()
    return server

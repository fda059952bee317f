"""The HTTP policy: what is retried, how long we wait, and what never reaches a log."""

from __future__ import annotations

import email.utils
import logging

import httpx
import pytest

from app import http


def test_retry_after_seconds_and_http_date_are_honoured() -> None:
    assert http.parse_retry_after("3") == 3.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert http.parse_retry_after(date, now=now) == pytest.approx(7.0, abs=1.0)
    assert http.parse_retry_after("soon") is None
    assert http.parse_retry_after(None) is None


def test_server_hint_wins_over_backoff_but_is_capped() -> None:
    policy = http.RetryPolicy(base_delay=1.0, max_delay=15.0, max_retry_after=60.0)
    assert policy.delay_for(1, 4.0) == 4.0
    assert policy.delay_for(1, 3600.0) == 60.0


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = http.RetryPolicy(base_delay=1.0, max_delay=15.0, jitter=0.25)
    for attempt, nominal in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 15.0), (9, 15.0)]:
        delay = policy.backoff(attempt)
        assert nominal * 0.75 <= delay <= nominal


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (409, False),
        (413, False),
        (422, False),
    ],
)
def test_only_transient_statuses_are_retried(status: int, retryable: bool) -> None:
    assert http.is_retryable_status(status) is retryable


def test_key_header_goes_only_to_the_api_origin() -> None:
    auth = http.HeaderAuth("https://api.example.com", {"X-API-KEY": "sk-secret-1"})
    same = httpx.Request("GET", "https://api.example.com/v1/batches")
    other = httpx.Request("PUT", "https://storage.example.net/upload?sig=abc")
    other_port = httpx.Request("GET", "https://api.example.com:8443/v1/batches")
    plain_http = httpx.Request("GET", "http://api.example.com/v1/batches")
    for request, expect in [(same, True), (other, False), (other_port, False), (plain_http, False)]:
        sent = next(auth.auth_flow(request))
        assert ("X-API-KEY" in sent.headers) is expect, request.url


def test_redaction_removes_keys_and_presigned_signatures(caplog: pytest.LogCaptureFixture) -> None:
    http.register_secret("sk-live-0123456789")
    logger = logging.getLogger("extractdesk.test")
    handler_records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            handler_records.append(self.format(record))

    keep = Keep()
    keep.addFilter(http.RedactingFilter())
    logger.addHandler(keep)
    try:
        logger.warning(
            "PUT %s with key %s",
            "https://s3.example/f?X-Amz-Signature=deadbeef",
            "sk-live-0123456789",
        )
        try:
            raise RuntimeError("failed https://h/x?sig=abc key sk-live-0123456789")
        except RuntimeError:
            logger.exception("upload broke")
    finally:
        logger.removeHandler(keep)
    text = "\n".join(handler_records)
    assert "deadbeef" not in text and "sig=abc" not in text
    assert "sk-live-0123456789" not in text
    assert "https://s3.example/f?<redacted>" in text
    assert "RuntimeError" in text  # the traceback is kept, cleaned


def test_error_bodies_become_plain_words() -> None:
    request = httpx.Request("POST", "https://api.example.com/v1/files")
    cases = [
        (401, {"detail": "Invalid key"}, http.AuthFailed, "open Settings"),
        (402, {"detail": "quota"}, http.QuotaExceeded, "quota is used up"),
        (413, {"detail": "size_bytes 9 exceeds maximum of 5."}, http.PayloadTooLarge, "too large"),
        (
            422,
            {"detail": [{"loc": ["body", "size_bytes"], "msg": "must be > 0", "type": "x"}]},
            http.Rejected,
            "size_bytes: must be > 0",
        ),
        (503, "down", http.ServiceUnavailable, "retry later"),
    ]
    for status, body, kind, words in cases:
        response = (
            httpx.Response(status, json=body, request=request)
            if isinstance(body, dict)
            else httpx.Response(status, text=body, request=request)
        )
        error = http.error_for_response(response, "extract.page")
        assert isinstance(error, kind)
        assert words in error.message or words in error.detail

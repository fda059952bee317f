"""Opening a provider's client for a job: shared by the CLI and the window."""

from __future__ import annotations

from typing import Any

from app import credentials, providers
from app.http import ApiError
from app.journal import JobRecord
from app.local_engine import SERVICE_NAME as LOCAL_SERVICE_NAME
from app.local_engine import LocalEngine
from app.providers.base import BatchLane, RetryCallback
from app.providers.extract_page import ALL_TYPES as LOCAL_TYPES
from app.providers.extract_page import ExtractPageClient


class MissingKey(ApiError):
    """The provider needs an API key and none is stored."""

    def __init__(self, provider: providers.ProviderInfo) -> None:
        super().__init__(f"No API key for {provider.name}: open Settings and add one.")
        self.provider = provider


async def open_lane(
    provider_id: str,
    *,
    base_url: str | None,
    engine: LocalEngine | None,
    extract_images: bool = True,
    on_retry: RetryCallback | None = None,
    options: dict[str, Any] | None = None,
) -> BatchLane:
    """The batch-lane client for ``provider_id``. Raises :class:`ApiError` in plain words
    when it cannot be opened (no key, the local engine would not start)."""
    if provider_id == providers.LOCAL.id:
        if engine is None:
            raise ApiError("The local engine is not available in this session.")
        url, key = await engine.ensure_started()
        return ExtractPageClient(
            key,
            url,
            service_name=LOCAL_SERVICE_NAME,
            on_retry=on_retry,
            extract_images=extract_images,
            accepted_types=LOCAL_TYPES,
        )
    info = providers.get(provider_id)
    api_key = credentials.get_key(info.id)
    if not api_key:
        raise MissingKey(info)
    url = base_url or info.default_base_url or ""
    settings: dict[str, Any] = dict((options or {}).get(provider_id) or {})
    if provider_id == providers.ANTHROPIC.id:
        from app.providers.anthropic import AnthropicClient, AnthropicOptions, FieldSpec

        anthropic_options = AnthropicOptions(
            model=settings.get("model") or AnthropicOptions.model,
            fields=[FieldSpec(**f) for f in settings.get("fields") or []],
            delete_files_when_done=bool(settings.get("delete_files_when_done")),
        )
        return AnthropicClient(api_key, url, options=anthropic_options, on_retry=on_retry)
    if provider_id == providers.ANESYA.id:
        from app.providers.anesya import AnesyaClient, AnesyaOptions

        anesya_options = AnesyaOptions(
            server=settings.get("server") or "EU-1",
            schema=settings.get("schema_id") or None,
            classifier=settings.get("classifier_id") or None,
            page_start=settings.get("page_start"),
            page_end=settings.get("page_end"),
        )
        return AnesyaClient(api_key, url, options=anesya_options, on_retry=on_retry)
    if provider_id == providers.OLOSTEP.id:
        from app.providers.olostep import OlostepClient

        limit = int(settings.get("max_batch_items") or info.max_batch_items)
        return OlostepClient(api_key, url, max_batch_items=limit, on_retry=on_retry)
    return ExtractPageClient(
        api_key,
        url,
        service_name=info.name,
        on_retry=on_retry,
        extract_images=extract_images,
    )


async def open_job_lane(
    job: JobRecord, on_retry: RetryCallback, engine: LocalEngine | None
) -> BatchLane:
    return await open_lane(
        job.provider,
        base_url=job.base_url,
        engine=engine,
        extract_images=bool(job.options.get("extract_images", True)),
        on_retry=on_retry,
        options=job.options,
    )

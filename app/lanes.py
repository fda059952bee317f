"""Opening a provider's client for a job: shared by the CLI and the window."""

from __future__ import annotations

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
    return ExtractPageClient(
        api_key,
        base_url or info.default_base_url or "",
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
    )

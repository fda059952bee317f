"""Request bodies and parameters, validated the way extract.page (FastAPI) validates them."""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

MAX_METADATA_BYTES = 16 * 1024

ModelT = TypeVar("ModelT", bound=BaseModel)


class RequestValidationError(Exception):
    """A 422 with FastAPI's ``HTTPValidationError`` body."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("request validation failed")
        self.errors = errors


class CreateFileRequest(BaseModel):
    """Body of ``POST /v1/files``."""

    filename: str | None = Field(default=None, max_length=512)
    content_type: str | None = Field(default=None, max_length=128)
    size_bytes: int = Field(gt=0)


class FilesSource(BaseModel):
    """``source`` of ``POST /v1/batches``: previously uploaded files."""

    type: Literal["files"] = "files"
    file_ids: list[str] = Field(max_length=10_000)


class CreateBatchRequest(BaseModel):
    """Body of ``POST /v1/batches`` (unknown fields are ignored)."""

    source: FilesSource
    engine: str | None = Field(default=None, max_length=64)
    extract_text: bool = True
    extract_images: bool = True
    ocr: Literal["auto", "never", "force"] = "auto"
    metadata: dict[str, Any] | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value).encode()) > MAX_METADATA_BYTES:
            raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes serialised")
        return value


def _errors(exc: ValidationError, *prefix: str) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = json.loads(exc.json(include_url=False))
    for error in errors:
        error["loc"] = [*prefix, *error["loc"]]
    return errors


def parse_body(model: type[ModelT], body: bytes) -> ModelT:
    """Decode and validate a JSON body; RequestValidationError on any problem."""
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        )
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else exc.reason
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", position],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": reason},
                }
            ]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(_errors(exc, "body")) from None


@functools.cache
def _bounded_int(ge: int, le: int) -> TypeAdapter[int]:
    return TypeAdapter(Annotated[int, Field(ge=ge, le=le)])


def query_int(raw: str | None, *, name: str, default: int, ge: int, le: int) -> int:
    """An integer query parameter within ``[ge, le]``; RequestValidationError otherwise."""
    if raw is None:
        return default
    try:
        return _bounded_int(ge, le).validate_python(raw)
    except ValidationError as exc:
        raise RequestValidationError(_errors(exc, "query", name)) from None

"""A strict fake of Anesya's legacy API 0.8.1 (``https://api.anesya.app/``).

Routes (every path ends with ``/``):

* ``POST /extract/``, ``GET /extract/``, ``GET /extract/{id}/``, ``DELETE /extract/{id}/``
* ``GET /schema/``, ``GET /schema/{id}/``
* ``GET /images/{uuid}/`` (a real PNG), ``GET /document/{uuid}/?type=extract`` (the file sent)

Spec choices (services.md section 4.1; [nc] = not confirmed there):

* ``Authorization`` carries the bare token. Missing: 401 ``{"detail": "Authentication
  credentials were not provided."}`` + violation. A ``Bearer``/``JWT``/``Token`` prefix:
  401 token_not_valid + violation ([nc] whether a prefix is accepted; the docs show none).
  A wrong or expired bare token: 401 with the seed's SimpleJWT body, not a violation.
  The same header is required on ``/images/`` and ``/document/`` URLs [nc].
* A path without its trailing slash, or any unknown path: Django's HTML 404 page +
  violation. A known path with another method: DRF 405 + violation.
* ``POST /extract/`` multipart: ``document`` (a file named .pdf/.png/.jpg/.jpeg, checked
  case-insensitively like Django's FileExtensionValidator), ``server`` (EU-1|FR-1|FR-2|FR-3),
  optional ``schema`` / ``classifier`` (UUIDs; an empty value means null, as DRF does for
  relations), optional ``metadata`` sent as a *text field holding a JSON object* [nc], and
  query ``pdf_page_start``/``pdf_page_end`` (integers ≥ 1, start ≤ end, PDF only). Bad
  fields: DRF 400 ``{"field": ["message"]}`` + violation; unknown or repeated parts are
  violations too. A well-formed schema UUID that is not in :attr:`AnesyaFake.schemas` is
  a 400 that is not a violation (the schema may have been deleted). Each create costs
  :attr:`AnesyaFake.credit_cost` credits from :attr:`AnesyaFake.credits`; when they do not
  suffice: 403 ``{"non_field_errors": ["Insufficient credits"]}`` (not a violation).
* ``GET /extract/{id}/`` advances one step per call: poll k (1 ≤ k < ``steps_to_finish``)
  shows ``IN_PROGRESS`` with ``extraction_step`` OCR, CLASSIFICATION, IMAGES, PARSING,
  LOCATION (the k-th, staying on LOCATION), and poll ``steps_to_finish`` ends it:
  ``FINISHED`` (``content`` = :meth:`AnesyaFake.content_for`, ``extracted_data`` =
  ``{field: "<field> of <document_name>"}`` for the schema's fields or null without a
  schema, ``classifier_result`` "Invoice" with a classifier, one content image,
  ``credit_used``, ``extraction_time``) or ``ERROR`` (``outcome_for[document_name] =
  "error"``; no content, credits refunded). It answers 200 [nc: the docs list 202 "accepted
  but not ready" without saying where]; set :attr:`AnesyaFake.accepted_while_processing` to
  answer 202 while not finished. ``?download=json|csv|images`` returns a file and does not
  advance.
* ``GET /extract/``: DRF page-number pagination (``page`` from 1, ``size`` default 50),
  newest first; ``search`` in document names and schema names (case-insensitive);
  ``meta_key`` alone keeps extractions having the key, with ``meta_value`` those whose
  value (as text) is equal; ``workflow_id``/``workflow_session_id`` accepted. List items
  embed the schema as an object; the detail view gives its UUID. A page out of range: 404
  ``{"detail": "Invalid page."}``. Listing never advances extractions.
* Server errors are Django's HTML 500 page; 429 is DRF's throttled body with Retry-After.

Controls: ``outcome_for``, ``credits``, ``credit_cost``, ``expire_token()``,
``new_token()``, ``add_schema()``; counters ``creates`` (extractions created: the number a
"never sent twice" test checks) and ``extractions`` (all of them, by id).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from tests.fakes.base import (
    COMMON_FAULT_KINDS,
    FakeService,
    FormPart,
    MultipartError,
    fake_jwt,
    new_uuid,
    parse_multipart,
    png_bytes,
    rfc3339,
)

__all__ = ["DEFAULT_SCHEMA_ID", "EXTRACTION_STEPS", "SERVERS", "AnesyaFake", "SchemaDef"]

SERVERS = ("EU-1", "FR-1", "FR-2", "FR-3")
EXTRACTION_STEPS = ("OCR", "CLASSIFICATION", "IMAGES", "PARSING", "LOCATION")
ALLOWED_EXTENSIONS = ("pdf", "png", "jpg", "jpeg")
CREATE_FIELDS = ("document", "server", "schema", "classifier", "metadata")
DEFAULT_SCHEMA_ID = "1f25b8af-eb35-4caf-8f3f-5edd3a79beee"
IMAGE_PNG = png_bytes()
TOKEN_NOT_VALID_DETAIL = "Given token not valid for any token type"

DJANGO_404 = """<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
"""
DJANGO_500 = """<!doctype html>
<html lang="en">
<head>
  <title>Server Error (500)</title>
</head>
<body>
  <h1>Server Error (500)</h1><p></p>
</body>
</html>
"""

_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}


@dataclass
class SchemaDef:
    """An extraction schema ("theme")."""

    id: str
    name: str
    fields: list[str]
    description: str = ""
    additional_informations: str = ""

    def json(self) -> dict[str, Any]:
        """The ``ExtractSchema`` object."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "additional_informations": self.additional_informations,
        }


@dataclass
class Extraction:
    """One extraction and its progress."""

    id: str
    document_name: str
    data: bytes
    server: str
    schema: str | None
    classifier: str | None
    metadata: dict[str, Any] | None
    created_at: str
    steps_needed: int
    page_start: int | None = None
    page_end: int | None = None
    document_id: str = field(default_factory=new_uuid)
    image_id: str = field(default_factory=new_uuid)
    status: str = "CREATED"
    extraction_step: str = "OCR"
    polls: int = 0
    content: str | None = None
    extracted_data: dict[str, Any] | None = None
    classifier_result: str | None = None
    content_images: list[dict[str, Any]] = field(default_factory=list)
    credit_used: int | None = None
    extraction_time: float | None = None
    credits_held: int = 0

    @property
    def extension(self) -> str:
        """The document's extension, lower-cased."""
        return self.document_name.rsplit(".", 1)[-1].lower()

    @property
    def finished(self) -> bool:
        """Whether it reached FINISHED or ERROR."""
        return self.status in ("FINISHED", "ERROR")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class AnesyaFake(FakeService):
    """Fake ``api.anesya.app`` (legacy 0.8.1): extractions, schemas, images, documents."""

    service_name = "anesya"
    fault_kinds = COMMON_FAULT_KINDS - {"expire_url"}

    def __init__(
        self,
        *,
        api_key: str | None = None,
        steps_to_finish: int = 2,
        credits: int = 1_000_000,
        credit_cost: int = 3,
        accepted_while_processing: bool = False,
    ) -> None:
        self._initial_credits = credits
        self.credit_cost = credit_cost
        """Credits one extraction costs (reported as ``credit_used``)."""
        self.accepted_while_processing = accepted_while_processing
        """Answer 202 instead of 200 to ``GET /extract/{id}/`` until it is finished."""
        super().__init__(api_key=api_key, steps_to_finish=steps_to_finish)

    def reset_state(self) -> None:
        """Forget extractions, schemas (back to the default one) and controls."""
        self._expired_tokens: set[str] = set()
        self.credits = self._initial_credits
        """Credits left; a create needs ``credit_cost`` of them."""
        self.extractions: dict[str, Extraction] = {}
        """Every extraction by id, in creation order (deleted ones removed)."""
        self.creates = 0
        """How many extractions were created (a retried create counts twice)."""
        self.outcome_for: dict[str, str] = {}
        """Forced outcome per ``document_name``: ``"error"`` (or ``"finished"``)."""
        self.schemas: dict[str, SchemaDef] = {
            DEFAULT_SCHEMA_ID: SchemaDef(
                DEFAULT_SCHEMA_ID,
                "Invoice",
                ["invoice_number", "invoice_date", "total_amount", "supplier_name"],
                "Supplier invoices",
            )
        }
        """Known schemas by id (a default "Invoice" schema, :data:`DEFAULT_SCHEMA_ID`)."""

    def generate_api_key(self) -> str:
        """A JWT-looking access token, as made in the Anesya web app."""
        return fake_jwt()

    # Controls --------------------------------------------------------------------------------

    def expire_token(self) -> None:
        """The current token expires: requests with it get 401 "Token is expired"."""
        self._expired_tokens.add(self.api_key)

    def new_token(self) -> str:
        """Make a fresh valid token the current one (the user pasted a new token)."""
        self.api_key = self.generate_api_key()
        return self.api_key

    def add_schema(self, name: str, fields: list[str], description: str = "") -> str:
        """Register a schema; returns its id."""
        schema = SchemaDef(new_uuid(), name, list(fields), description)
        self.schemas[schema.id] = schema
        return schema.id

    @staticmethod
    def content_for(
        document_name: str,
        size_bytes: int,
        page_start: int | None = None,
        page_end: int | None = None,
    ) -> str:
        """The deterministic ``content`` of a FINISHED extraction."""
        text = (
            f"# {document_name}\n\nText extracted from {document_name} ({size_bytes} bytes).\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |"
        )
        if page_start is not None or page_end is not None:
            text += f"\n\nPages {page_start or 1}-{page_end if page_end is not None else 'end'}."
        return text

    # Errors ----------------------------------------------------------------------------------

    def error_response(
        self, request: Request, status: int, code: str, message: str, **extra: Any
    ) -> Response:
        """DRF shapes: ``extra["body"]`` when given, else ``{"detail": message}``;
        Django's HTML page for 404 ``not_found`` routes."""
        if code == "django_404":
            return HTMLResponse(DJANGO_404, 404)
        body = extra.get("body", {"detail": message})
        return JSONResponse(body, status, headers=extra.get("headers"))

    def fault_response(self, request: Request, kind: str, opts: dict[str, Any]) -> Response:
        """DRF's throttled 429 (Retry-After) or Django's HTML 500 page."""
        if kind == "429":
            wait = int(opts["retry_after"])
            return JSONResponse(
                {"detail": f"Request was throttled. Expected available in {wait} seconds."},
                429,
                headers={"Retry-After": str(wait)},
            )
        return HTMLResponse(DJANGO_500, int(opts["status"]))

    def _field_errors(
        self, request: Request, errors: dict[str, list[str]], status: int = 400
    ) -> Response:
        self.violation(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        return JSONResponse(errors, status)

    def _token_not_valid(self, message: str) -> Response:
        return JSONResponse(
            {
                "detail": TOKEN_NOT_VALID_DETAIL,
                "code": "token_not_valid",
                "messages": [
                    {"token_class": "AccessToken", "token_type": "access", "message": message}
                ],
            },
            401,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    def _auth(self, request: Request, allowed_query: tuple[str, ...] = ()) -> Response | None:
        header = request.headers.get("authorization")
        if not header:
            return self.reject(
                request,
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        scheme, space, _ = header.strip().partition(" ")
        if space and scheme.lower() in ("bearer", "jwt", "token"):
            self.violation(request, f"Authorization must be the bare token, not '{scheme} <token>'")
            return self._token_not_valid("Token is invalid or expired")
        if header in self._expired_tokens:
            return self._token_not_valid("Token is expired")
        if header != self.api_key:
            return self._token_not_valid("Token is expired")
        unexpected = self.unexpected_query(request, allowed_query)
        if unexpected:
            return self._field_errors(
                request, {name: ["Unexpected query parameter."] for name in unexpected}
            )
        return None

    async def unknown_route(self, request: Request) -> Response:
        """Django's HTML 404 (missing trailing slash, unknown path) or DRF's 405."""
        for route in self.app.router.routes[:-1]:
            match, _ = route.matches(request.scope)
            if match == Match.PARTIAL:
                return self.reject(
                    request,
                    405,
                    "method_not_allowed",
                    f'Method "{request.method}" not allowed.',
                )
        path = request.url.path
        why = (
            "no trailing slash (Anesya requires one)" if not path.endswith("/") else "unknown path"
        )
        return self.reject(request, 404, "django_404", f"{why}: {path}")

    # Routes ----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The 0.8.1 routes used by the client."""
        e = self.endpoint
        return [
            Route("/extract/", e(self.create_extract), methods=["POST"]),
            Route("/extract/", e(self.list_extracts), methods=["GET"]),
            Route("/extract/{extract_id:uuid}/", e(self.get_extract), methods=["GET"]),
            Route("/extract/{extract_id:uuid}/", e(self.delete_extract), methods=["DELETE"]),
            Route("/schema/", e(self.list_schemas), methods=["GET"]),
            Route("/schema/{schema_id:uuid}/", e(self.get_schema), methods=["GET"]),
            Route("/images/{image_id:uuid}/", e(self.get_image), methods=["GET"]),
            Route("/document/{document_id:uuid}/", e(self.get_document), methods=["GET"]),
        ]

    # Create ----------------------------------------------------------------------------------

    async def create_extract(self, request: Request) -> Response:
        """``POST /extract/`` (multipart)."""
        refused = self._auth(request, ("pdf_page_start", "pdf_page_end"))
        if refused:
            return refused
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            shown = content_type.split(";")[0] or "none"
            return self.reject(
                request, 415, "unsupported", f'Unsupported media type "{shown}" in request.'
            )
        try:
            parts = parse_multipart(await request.body(), content_type)
        except MultipartError as exc:
            return self.reject(request, 400, "parse_error", f"Multipart form parse error - {exc}")
        grouped: dict[str, list[FormPart]] = {}
        for part in parts:
            grouped.setdefault(part.name, []).append(part)
        errors: dict[str, list[str]] = {}
        for name, group in grouped.items():
            if name not in CREATE_FIELDS:
                errors[name] = ["Unknown field (not in the 0.8.1 extract_create spec)."]
            elif len(group) > 1:
                errors[name] = ["Sent more than once."]
        if errors:
            return self._field_errors(request, errors)
        fields = {name: group[0] for name, group in grouped.items()}
        try:
            values = self._create_values(fields, errors)
            pages = self._page_range(request, values.get("extension"), errors)
        except MultipartError as exc:
            return self._field_errors(request, {"non_field_errors": [str(exc)]})
        if errors:
            return self._field_errors(request, errors)
        schema = values.get("schema")
        if schema is not None and schema not in self.schemas:
            return JSONResponse(
                {"schema": [f'Invalid pk "{schema}" - object does not exist.']}, 400
            )
        if self.credits < self.credit_cost:
            return JSONResponse({"non_field_errors": ["Insufficient credits"]}, 403)
        self.credits -= self.credit_cost
        document = fields["document"]
        assert document.filename is not None
        extraction = Extraction(
            id=new_uuid(),
            document_name=document.filename,
            data=document.data,
            server=values["server"],
            schema=schema,
            classifier=values.get("classifier"),
            metadata=values.get("metadata"),
            created_at=rfc3339(),
            steps_needed=self.steps_to_finish,
            page_start=pages[0],
            page_end=pages[1],
            credits_held=self.credit_cost,
        )
        self.extractions[extraction.id] = extraction
        self.creates += 1
        return JSONResponse(self._extract_json(extraction), 201)

    def _create_values(
        self, fields: dict[str, FormPart], errors: dict[str, list[str]]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        document = fields.get("document")
        if document is None:
            errors["document"] = ["No file was submitted."]
        elif not document.is_file:
            errors["document"] = [
                "The submitted data was not a file. Check the encoding type on the form."
            ]
        elif not document.filename:
            errors["document"] = ["No filename could be determined."]
        elif not document.data:
            errors["document"] = ["The submitted file is empty."]
        else:
            extension = (
                document.filename.rsplit(".", 1)[-1].lower() if "." in document.filename else ""
            )
            if extension not in ALLOWED_EXTENSIONS:
                errors["document"] = [
                    f"File extension “{extension}” is not allowed. Allowed extensions are: "
                    f"{', '.join(ALLOWED_EXTENSIONS)}."
                ]
            values["extension"] = extension
        server = fields.get("server")
        if server is None:
            errors["server"] = ["This field is required."]
        elif server.is_file or server.text() not in SERVERS:
            errors["server"] = [
                f'"{server.text() if not server.is_file else "<file>"}" is not a valid choice.'
            ]
        else:
            values["server"] = server.text()
        for name in ("schema", "classifier"):
            part = fields.get(name)
            if part is None or (not part.is_file and part.text() == ""):
                continue
            text = "<file>" if part.is_file else part.text()
            if part.is_file or not _is_uuid(text):
                errors[name] = [f"“{text}” is not a valid UUID."]
            else:
                values[name] = str(uuid.UUID(text))
        metadata = fields.get("metadata")
        if metadata is not None:
            if metadata.is_file:
                errors["metadata"] = ["Send metadata as a text field holding a JSON object."]
            elif metadata.text().strip() not in ("", "null"):
                ok, parsed = self.parse_json(metadata.data)
                if not ok:
                    errors["metadata"] = ["Value must be valid JSON."]
                elif not isinstance(parsed, dict):
                    errors["metadata"] = ["Value must be a JSON object."]
                else:
                    values["metadata"] = parsed
        return values

    def _page_range(
        self, request: Request, extension: str | None, errors: dict[str, list[str]]
    ) -> tuple[int | None, int | None]:
        found: dict[str, int] = {}
        for name in ("pdf_page_start", "pdf_page_end"):
            raw = request.query_params.get(name)
            if raw is None:
                continue
            if not raw.isdigit() or int(raw) < 1:
                errors[name] = ["A valid integer is required (1 or more)."]
            else:
                found[name] = int(raw)
        if found and extension is not None and extension != "pdf":
            for name in found:
                errors[name] = ["Only for PDF documents."]
        start, end = found.get("pdf_page_start"), found.get("pdf_page_end")
        if start is not None and end is not None and start > end:
            errors["pdf_page_end"] = ["Must not be lower than pdf_page_start."]
        return start, end

    # Read ------------------------------------------------------------------------------------

    def _extract_json(self, e: Extraction, *, embed_schema: bool = False) -> dict[str, Any]:
        schema: Any = e.schema
        if embed_schema and e.schema is not None:
            known = self.schemas.get(e.schema)
            schema = known.json() if known else {"id": e.schema}
        return {
            "id": e.id,
            "document_name": e.document_name,
            "document_url": f"/document/{e.document_id}/?type=extract",
            "content_images": list(e.content_images),
            "server": e.server,
            "content": e.content,
            "extracted_data": e.extracted_data,
            "schema": schema,
            "classifier": e.classifier,
            "classifier_result": e.classifier_result,
            "workflow": None,
            "workflow_session_id": None,
            "status": e.status,
            "extraction_step": e.extraction_step,
            "extraction_time": e.extraction_time,
            "credit_used": e.credit_used,
            "metadata": e.metadata,
            "created_at": e.created_at,
        }

    def _advance(self, e: Extraction) -> None:
        if e.finished:
            return
        e.polls += 1
        if e.polls < e.steps_needed:
            e.status = "IN_PROGRESS"
            e.extraction_step = EXTRACTION_STEPS[min(e.polls - 1, len(EXTRACTION_STEPS) - 1)]
            return
        forced = self.outcome_for.get(e.document_name, "finished").lower()
        if forced not in ("finished", "error"):
            raise ValueError(f"outcome_for[{e.document_name!r}] = {forced!r}: finished|error")
        if forced == "error":
            e.status = "ERROR"
            self.credits += e.credits_held
            return
        e.status = "FINISHED"
        e.extraction_step = "LOCATION"
        e.content = self.content_for(e.document_name, len(e.data), e.page_start, e.page_end)
        schema = self.schemas.get(e.schema) if e.schema else None
        if schema is not None:
            e.extracted_data = {name: f"{name} of {e.document_name}" for name in schema.fields}
        if e.classifier is not None:
            e.classifier_result = "Invoice"
        e.content_images = [{"name": "_page_0_Picture_1.png", "url": f"/images/{e.image_id}/"}]
        e.credit_used = e.credits_held
        e.extraction_time = round(1.5 * e.polls, 2)

    def _extraction(self, request: Request) -> Extraction | Response:
        found = self.extractions.get(str(request.path_params["extract_id"]))
        if found is None:
            return JSONResponse({"detail": "No Extract matches the given query."}, 404)
        return found

    async def get_extract(self, request: Request) -> Response:
        """``GET /extract/{id}/``: one step further per call (``?download=`` excepted)."""
        refused = self._auth(request, ("download",))
        if refused:
            return refused
        e = self._extraction(request)
        if isinstance(e, Response):
            return e
        download = request.query_params.get("download")
        if download is not None:
            return self._download(request, e, download)
        self._advance(e)
        status = 202 if self.accepted_while_processing and not e.finished else 200
        return JSONResponse(self._extract_json(e), status)

    def _download(self, request: Request, e: Extraction, kind: str) -> Response:
        if kind not in ("csv", "images", "json"):
            return self._field_errors(request, {"download": [f'"{kind}" is not a valid choice.']})
        if e.status != "FINISHED":
            return JSONResponse({"detail": "The extraction is not finished."}, 400)
        suffix = "zip" if kind == "images" else kind
        disposition = {"Content-Disposition": f'attachment; filename="{e.id}.{suffix}"'}
        if kind == "json":
            return JSONResponse(self._extract_json(e), headers=disposition)
        if kind == "images":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                for image in e.content_images:
                    archive.writestr(image["name"], IMAGE_PNG)
            return Response(buffer.getvalue(), media_type="application/zip", headers=disposition)
        if e.extracted_data is None:
            return Response(status_code=204)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(list(e.extracted_data))
        writer.writerow([str(v) for v in e.extracted_data.values()])
        return Response(text.getvalue(), media_type="text/csv", headers=disposition)

    async def delete_extract(self, request: Request) -> Response:
        """``DELETE /extract/{id}/`` → 204."""
        refused = self._auth(request)
        if refused:
            return refused
        e = self._extraction(request)
        if isinstance(e, Response):
            return e
        del self.extractions[e.id]
        return Response(status_code=204)

    def _page_params(self, request: Request) -> tuple[int, int] | Response:
        query = request.query_params
        errors: dict[str, list[str]] = {}
        for name, default in (("page", "1"), ("size", "50")):
            raw = query.get(name, default)
            if not raw.isdigit() or int(raw) < 1:
                errors[name] = ["A positive integer is required."]
        if errors:
            return self._field_errors(request, errors)
        return int(query.get("page", "1")), int(query.get("size", "50"))

    def _paginated(
        self, request: Request, rows: list[dict[str, Any]], page: int, size: int
    ) -> Response:
        pages = max(1, -(-len(rows) // size))
        if page > pages:
            return JSONResponse({"detail": "Invalid page."}, 404)

        def link(number: int) -> str:
            params = [(k, v) for k, v in self.query_items(request) if k != "page"]
            if number > 1:
                params.append(("page", str(number)))
            query = urlencode(params)
            return f"{self.url}{request.url.path}" + (f"?{query}" if query else "")

        return JSONResponse(
            {
                "count": len(rows),
                "next": link(page + 1) if page < pages else None,
                "previous": link(page - 1) if page > 1 else None,
                "results": rows[(page - 1) * size : page * size],
            }
        )

    async def list_extracts(self, request: Request) -> Response:
        """``GET /extract/`` with filters and DRF pagination (newest first)."""
        allowed = (
            "page",
            "size",
            "search",
            "workflow_id",
            "workflow_session_id",
            "meta_key",
            "meta_value",
        )
        refused = self._auth(request, allowed)
        if refused:
            return refused
        paging = self._page_params(request)
        if isinstance(paging, Response):
            return paging
        query = request.query_params
        search = (query.get("search") or "").lower()
        meta_key, meta_value = query.get("meta_key"), query.get("meta_value")
        if query.get("workflow_id") or query.get("workflow_session_id"):
            chosen: list[Extraction] = []  # the fake creates no workflow extractions
        else:
            chosen = list(reversed(self.extractions.values()))
        if search:
            chosen = [
                e
                for e in chosen
                if search in e.document_name.lower() or search in self._schema_name(e)
            ]
        if meta_key:
            chosen = [e for e in chosen if e.metadata is not None and meta_key in e.metadata]
            if meta_value is not None:
                chosen = [e for e in chosen if _meta_text(e.metadata, meta_key) == meta_value]
        rows = [self._extract_json(e, embed_schema=True) for e in chosen]
        return self._paginated(request, rows, *paging)

    def _schema_name(self, e: Extraction) -> str:
        schema = self.schemas.get(e.schema) if e.schema else None
        return schema.name.lower() if schema else ""

    async def list_schemas(self, request: Request) -> Response:
        """``GET /schema/?page=&size=``."""
        refused = self._auth(request, ("page", "size"))
        if refused:
            return refused
        paging = self._page_params(request)
        if isinstance(paging, Response):
            return paging
        rows = [s.json() for s in self.schemas.values()]
        return self._paginated(request, rows, *paging)

    async def get_schema(self, request: Request) -> Response:
        """``GET /schema/{id}/``."""
        refused = self._auth(request)
        if refused:
            return refused
        found = self.schemas.get(str(request.path_params["schema_id"]))
        if found is None:
            return JSONResponse({"detail": "No ExtractSchema matches the given query."}, 404)
        return JSONResponse(found.json())

    async def get_image(self, request: Request) -> Response:
        """``GET /images/{uuid}/``: a small real PNG."""
        refused = self._auth(request)
        if refused:
            return refused
        image_id = str(request.path_params["image_id"])
        if not any(e.image_id == image_id and e.content_images for e in self.extractions.values()):
            return JSONResponse({"detail": "Not found."}, 404)
        return Response(IMAGE_PNG, media_type="image/png")

    async def get_document(self, request: Request) -> Response:
        """``GET /document/{uuid}/?type=extract``: the document as it was sent."""
        refused = self._auth(request, ("type",))
        if refused:
            return refused
        if request.query_params.get("type") != "extract":
            return self._field_errors(request, {"type": ['Required: "extract".']})
        document_id = str(request.path_params["document_id"])
        found = next((e for e in self.extractions.values() if e.document_id == document_id), None)
        if found is None:
            return JSONResponse({"detail": "Not found."}, 404)
        media = _MEDIA_TYPES.get(found.extension, "application/octet-stream")
        return Response(found.data, media_type=media)


def _meta_text(metadata: dict[str, Any] | None, key: str) -> str:
    value = (metadata or {}).get(key)
    if isinstance(value, str):
        return value
    return json.dumps(value)

"""OpenLineage events (spec 2-0-2) as they arrive: parsed and checked, facets kept as sent.

`parse(body)` turns the JSON of one event into an `Event`, or raises InvalidEvent with a
message that names the field. Only what the spec requires is required; every facet, known
or not, is kept as it came, and unknown top-level fields stay in the stored body.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from registry.errors import DomainError
from registry.names import load_json

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
KINDS = ("RunEvent", "DatasetEvent", "JobEvent")


class InvalidEvent(DomainError):
    """An event the spec does not allow; nothing was written."""


def _facets(facets):
    """Any facets at all, known or not, kept as sent; only their names are bounded."""
    for name in facets or {}:
        if not 1 <= len(name) <= 255:
            raise ValueError(f"facet names are 1 to 255 characters, not {len(name)}")
    return facets or {}


Name = Field(min_length=1, max_length=1024)
Facets = Annotated[dict[str, Any] | None, AfterValidator(_facets)]
NoFacets = Field(default_factory=dict)


class Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class DatasetIn(Part):
    namespace: str = Name
    name: str = Name
    facets: Facets = NoFacets
    inputFacets: Facets = NoFacets  # noqa: N815 (the spec's names)
    outputFacets: Facets = NoFacets  # noqa: N815


class JobIn(Part):
    namespace: str = Name
    name: str = Field(min_length=1, max_length=256)  # it becomes the run's display name
    facets: Facets = NoFacets


class RunIn(Part):
    runId: UUID  # noqa: N815
    facets: Facets = NoFacets


class EventIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    eventTime: datetime  # noqa: N815
    producer: str = Field(min_length=1)
    schemaURL: str = ""  # noqa: N815
    eventType: Literal[EVENT_TYPES] | None = None  # noqa: N815
    run: RunIn | None = None
    job: JobIn | None = None
    dataset: DatasetIn | None = None
    inputs: list[DatasetIn] | None = None
    outputs: list[DatasetIn] | None = None

    @field_validator("eventTime", mode="before")
    @classmethod
    def event_time(cls, value):
        return parse_time(value)


def parse_time(value):
    """ISO 8601 date and time as producers write it: nanoseconds (kept to the microsecond),
    `Z`, an offset, a Java zone id (`...Z[UTC]`), or no zone at all (taken as UTC)."""
    if not isinstance(value, str) or not re.search(r"\d[T ]\d", value):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2024-05-01T10:00:00Z")
    text = re.sub(r"\[[^\]]*\]$", "", value.strip())
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # Python reads at most microseconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    kind: str  # one of KINDS
    body: dict  # the event as received
    digest: str  # SHA-256 of its canonical JSON: equal events are one event
    parsed: EventIn

    @property
    def run_id(self):
        return str(self.parsed.run.runId) if self.parsed.run else ""

    @property
    def event_type(self):
        return self.parsed.eventType or ""

    @property
    def datasets(self):
        """(direction, dataset) for each input ("uses") and output ("logs")."""
        parsed = self.parsed
        if parsed.dataset:
            return [("", parsed.dataset)]
        return [("uses", d) for d in parsed.inputs or []] + [
            ("logs", d) for d in parsed.outputs or []
        ]


def parse(raw):
    """The event in `raw` (bytes of JSON), checked against the spec."""
    body = load_json(raw)  # NUL, lone surrogates and NaN refused, the field named
    if not isinstance(body, dict):
        raise InvalidEvent("An OpenLineage event is one JSON object.")
    try:
        parsed = EventIn.model_validate(body)
    except ValidationError as error:
        raise InvalidEvent(_first_error(error)) from None
    kind = _kind(body, parsed)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Event(kind, body, hashlib.sha256(canonical.encode()).hexdigest(), parsed)


def _kind(body, parsed):
    """The schemaURL's `#/$defs/<Kind>` when it names one, else what the fields say."""
    named = body.get("schemaURL", "").rpartition("/")[2]
    kind = named if named in KINDS else None
    if kind is None:
        kind = "RunEvent" if "run" in body else "DatasetEvent" if "dataset" in body else "JobEvent"
    needs = {"RunEvent": ("run", "job"), "DatasetEvent": ("dataset",), "JobEvent": ("job",)}
    for field in needs[kind]:
        if getattr(parsed, field) is None:
            raise InvalidEvent(f"Invalid OpenLineage event: {field}: required in a {kind}.")
    return kind


def _first_error(error):
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "event"
    message = first["msg"].removeprefix("Value error, ")
    more = error.error_count() - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"Invalid OpenLineage event: {where}: {message}.{tail}"

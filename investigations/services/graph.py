"""Writes to the graph. Every write is an upsert on the model's unique key, so a task that
runs twice, or two tasks that meet the same entity, leave one row."""

import hashlib
import math
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Entity, Evidence, EvidenceOutcome, Relationship
from ..text import BIDI_CONTROLS

# Response headers worth keeping beside the body; request credentials are never kept.
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "date",
        "etag",
        "last-modified",
        "link",
        "location",
        "retry-after",
        "server",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
        "x-ratelimit-resource",
    }
)

_EMPTY = (None, "", [], {})
# The longest text kept in one attribute; longer scraped text is cut and marked.
MAX_ATTRIBUTE_TEXT = 10_000


# Deeper nesting than this in a scraped value is cut: a hostile answer can nest a
# thousand levels, which no real profile does.
MAX_NESTING = 32
_UNSAFE_CHARACTERS = {ord(ch): "\ufffd" for ch in ("\x00", *BIDI_CONTROLS)}


def clean_value(value: Any, depth: int = 0) -> Any:
    """Scraped values made safe to store and show. NUL characters (PostgreSQL refuses
    them) and bidirectional overrides (they make text read otherwise) become U+FFFD, so
    nothing is silently merged; lone surrogates from broken encodings are replaced;
    text, nesting and non-finite numbers (JSON cannot hold NaN) are bounded. Never
    executed or interpreted: pages escape everything they show."""
    if isinstance(value, str):
        text = value.translate(_UNSAFE_CHARACTERS).encode("utf-8", "replace").decode("utf-8")
        if len(text) > MAX_ATTRIBUTE_TEXT:
            text = text[:MAX_ATTRIBUTE_TEXT] + "…[truncated]"
        return text
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict | list | tuple) and depth >= MAX_NESTING:
        return "…[nested too deep]"
    if isinstance(value, dict):
        return {str(clean_value(k, depth + 1)): clean_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v, depth + 1) for v in value]
    return value


# Kinds whose keys keep their case: a web address's path and a post's identifier are
# case-sensitive (two different pages, two different posts).
CASE_SENSITIVE_KINDS = frozenset({"url", "post"})
MAX_KEY = 512


def normalise_key(kind: str, key: str) -> str:
    """The key an entity is found by: white space folded; case folded except for kinds
    where case carries meaning (for a web address only its scheme and host fold); a key
    too long for the column is cut and ends with a digest of the whole, so that two
    long keys that share a beginning stay two."""
    text = " ".join(str(key).split())
    if kind == "url":
        text = _fold_url(text)
    elif kind not in CASE_SENSITIVE_KINDS:
        text = text.casefold()
    if len(text) > MAX_KEY:
        digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        text = f"{text[: MAX_KEY - 65]}#{digest}"
    return text


def _fold_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )


def merge_attributes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """New values win, except that an empty value never overwrites a good one."""
    merged = dict(old)
    for name, value in new.items():
        if value in _EMPTY and merged.get(name) not in _EMPTY:
            continue
        merged[name] = value
    return merged


def _attach_evidence(obj: Entity | Relationship, evidence: Iterable[Evidence | None]) -> None:
    ids = [e.pk for e in evidence if e is not None]
    if ids:
        obj.evidence.add(*ids)


def upsert_entity(
    investigation_id: int,
    kind: str,
    key: str,
    *,
    name: str = "",
    attributes: dict[str, Any] | None = None,
    source: str | None = None,
    confidence: float = 1.0,
    evidence: Iterable[Evidence | None] = (),
) -> Entity:
    normalised = normalise_key(kind, clean_value(key))
    name = clean_value(name)
    attributes = clean_value(attributes or {})
    with transaction.atomic():
        entity, created = Entity.objects.select_for_update().get_or_create(
            investigation_id=investigation_id,
            kind=kind,
            key=normalised,
            defaults={
                "name": (name or key)[:512],
                "attributes": attributes or {},
                "sources": [source] if source else [],
                "confidence": confidence,
            },
        )
        if not created:
            changed = False
            merged = merge_attributes(entity.attributes, attributes or {})
            if merged != entity.attributes:
                entity.attributes, changed = merged, True
            if name and name[:512] != entity.name:
                entity.name, changed = name[:512], True
            if source and source not in entity.sources:
                entity.sources = [*entity.sources, source]
                changed = True
            if confidence > entity.confidence:
                entity.confidence, changed = confidence, True
            if changed:
                entity.save()
        _attach_evidence(entity, evidence)
    return entity


def upsert_relationship(
    source: Entity,
    target: Entity,
    kind: str,
    *,
    attributes: dict[str, Any] | None = None,
    confidence: float = 1.0,
    evidence: Iterable[Evidence | None] = (),
) -> Relationship:
    attributes = clean_value(attributes or {})
    with transaction.atomic():
        relationship, created = Relationship.objects.select_for_update().get_or_create(
            source=source,
            target=target,
            kind=kind,
            defaults={
                "investigation_id": source.investigation_id,
                "attributes": attributes or {},
                "confidence": confidence,
            },
        )
        if not created:
            merged = merge_attributes(relationship.attributes, attributes or {})
            if merged != relationship.attributes or confidence > relationship.confidence:
                relationship.attributes = merged
                relationship.confidence = max(confidence, relationship.confidence)
                relationship.save()
        _attach_evidence(relationship, evidence)
    return relationship


def record_evidence(
    *,
    investigation_id: int,
    target_id: int | None,
    source: str,
    url: str,
    status_code: int | None,
    body: bytes,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    outcome: str = EvidenceOutcome.OK,
    error: str = "",
    truncated: bool = False,
    fetched_at: datetime | None = None,
) -> Evidence:
    """Keep one answer, compressed; the same answer to the same address is kept once."""
    limit = settings.EVIDENCE_MAX_BODY_BYTES
    if len(body) > limit:
        body, truncated = body[:limit], True
    digest = hashlib.sha256(body).hexdigest()
    kept_headers = clean_value(
        {k.lower(): v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS}
    )
    values = {
        "target_id": target_id,
        "method": method,
        "status_code": status_code,
        "outcome": outcome,
        "error": clean_value(error)[:2000],
        "content_type": kept_headers.get("content-type", "")[:255],
        "headers": kept_headers,
        "body_size": len(body),
        "truncated": truncated,
        "fetched_at": fetched_at or timezone.now(),
    }
    lookup = {
        "investigation_id": investigation_id,
        "source": source,
        "url": url,
        "body_sha256": digest,
    }
    try:
        with transaction.atomic():
            evidence, created = Evidence.objects.update_or_create(
                **lookup,
                defaults=values,
                create_defaults={**values, "body_compressed": zlib.compress(body)},
            )
    except IntegrityError:
        evidence = Evidence.objects.get(**lookup)
    return evidence


class GraphWriter:
    """Writes one job's findings into its investigation's graph, tagging each with the
    source and the evidence it came from. Services use this instead of the functions
    above so that the investigation, target and source are stated once."""

    def __init__(self, investigation_id: int, target_id: int | None, source: str):
        self.investigation_id = investigation_id
        self.target_id = target_id
        self.source = source
        self._recorded: dict[int, Evidence] = {}

    def record(self, response) -> Evidence:
        """Keep an answer (an ``HttpResponse`` of the scraping layer) as evidence, once."""
        key = id(response)
        if key not in self._recorded:
            status = response.status
            if getattr(response, "cached", False):
                outcome = EvidenceOutcome.CACHED
            elif getattr(response, "from_cache", False):
                outcome = EvidenceOutcome.NOT_MODIFIED
            elif status == 404:
                outcome = EvidenceOutcome.NOT_FOUND
            elif status in (202,):
                outcome = EvidenceOutcome.PENDING
            elif status in (204, 409):
                outcome = EvidenceOutcome.EMPTY
            elif status >= 400:
                outcome = EvidenceOutcome.ERROR
            else:
                outcome = EvidenceOutcome.OK
            self._recorded[key] = record_evidence(
                investigation_id=self.investigation_id,
                target_id=self.target_id,
                source=self.source,
                url=response.url,
                method=response.method,
                status_code=status,
                body=response.body,
                headers=response.headers,
                outcome=outcome,
                truncated=response.truncated,
                fetched_at=response.fetched_at,
            )
        return self._recorded[key]

    def entity(
        self, kind: str, key: str, *, name: str = "", attributes=None, confidence=1.0, evidence=()
    ):
        return upsert_entity(
            self.investigation_id,
            kind,
            key,
            name=name,
            attributes=attributes,
            source=self.source,
            confidence=confidence,
            evidence=evidence,
        )

    def link(
        self,
        source: Entity,
        target: Entity,
        kind: str,
        *,
        attributes=None,
        confidence=1.0,
        evidence=(),
    ):
        return upsert_relationship(
            source, target, kind, attributes=attributes, confidence=confidence, evidence=evidence
        )

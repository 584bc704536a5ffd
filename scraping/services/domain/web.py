"""The web site of a domain: what it answers over HTTPS and HTTP, and what it runs.

Each scheme is fetched once through the guarded fetcher (limits on size, redirects and
time; private addresses refused). For each answer the status, final address, headers,
title and TLS certificate summary are kept on a ``url`` entity, the raw answer as
evidence, the certificate as a ``certificate`` entity, and the technologies its
fingerprints show as ``technology`` entities linked with ``uses``. One scheme failing
is noted; both failing fails the part with both reasons.
"""

import logging
from typing import Any

from django.conf import settings

from investigations.errors import CollectionError, PermanentError, TransientError
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ...addresses import NoService
from ...clients.web import WebFetcher, WebPage
from ...http import HttpResponse
from ...webtech.fingerprints import default_set
from ...webtech.matcher import Detection, detect
from ...webtech.page import read_page

logger = logging.getLogger(__name__)

WEB_SOURCE = "web"
SCHEMES = ("https", "http")
# Response headers kept on the url entity (the evidence keeps its own selection).
KEPT_HEADERS = (
    "server",
    "x-powered-by",
    "content-type",
    "strict-transport-security",
    "content-security-policy",
    "x-frame-options",
    "via",
    "x-generator",
)


def build_fetcher() -> WebFetcher:
    return WebFetcher(
        override=settings.WEB_URL_OVERRIDE,
        user_agent=settings.HTTP_USER_AGENT,
        timeout=settings.WEB_TIMEOUT,
        total_timeout=settings.WEB_TOTAL_TIMEOUT,
        max_bytes=settings.WEB_MAX_BYTES,
        max_redirects=settings.WEB_MAX_REDIRECTS,
    )


def collect(ctx: JobContext, writer: GraphWriter, domain: str) -> dict[str, Any]:
    """Fetch ``https://domain/`` and ``http://domain/`` and record what they show."""
    fetcher = build_fetcher()
    domain_entity = writer.entity("domain", domain)
    pages: list[WebPage] = []
    errors: list[tuple[str, CollectionError]] = []
    for index, scheme in enumerate(SCHEMES):
        try:
            pages.append(fetcher.fetch(f"{scheme}://{domain}/"))
        except CollectionError as exc:
            errors.append((scheme, exc))
            ctx.note(f"web: {scheme}://{domain}/: {exc}")
        ctx.progress(20 + 30 * index)
    if not pages and errors and all(isinstance(exc, NoService) for _, exc in errors):
        # No web server is a finding about the domain (mail-only domains are common),
        # not a failure of this part.
        writer.entity("domain", domain, attributes={"web_site": False})
        return {"site": None, "pages": 0}
    if not pages:
        reasons = "; ".join(f"{scheme}: {exc}" for scheme, exc in errors)
        if all(isinstance(exc, TransientError) for _, exc in errors):
            raise TransientError(f"No web site answered for {domain} ({reasons})")
        raise PermanentError(f"No web site answered for {domain} ({reasons})")

    technologies: dict[str, Detection] = {}
    for page in pages:
        detections = _record_page(writer, domain_entity, page)
        for detection in detections:
            technologies.setdefault(detection.name, detection)
        if page.truncated:
            ctx.note(f"web: {page.final_url} was larger than {fetcher.max_bytes} bytes; cut off")
    return {
        "pages": len(pages),
        "technologies": sorted(technologies),
        "failed": [scheme for scheme, _ in errors],
    }


def _as_response(page: WebPage) -> HttpResponse:
    headers: dict[str, str] = {}
    for name, value in page.headers:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return HttpResponse(
        url=page.final_url,
        status=page.status,
        headers=headers,
        body=page.body,
        truncated=page.truncated,
        elapsed=page.elapsed,
        fetched_at=page.fetched_at,
    )


def _record_page(writer: GraphWriter, domain_entity, page: WebPage) -> list[Detection]:
    evidence = writer.record(_as_response(page))
    facts = read_page(
        page.final_url,
        page.headers,
        page.text,
        cert_issuer=(page.tls or {}).get("issuer_organization", ""),
    )
    attributes = {
        "status": page.status,
        "requested": page.url,
        "redirects": page.redirects,
        "title": facts.title,
        "headers": {k: v for k, v in facts.headers.items() if k in KEPT_HEADERS},
        "address": page.address,
        "bytes": len(page.body),
        "truncated": page.truncated,
        "tls": {k: v for k, v in (page.tls or {}).items() if k != "names"} or None,
    }
    url_entity = writer.entity(
        "url", page.final_url, name=page.final_url, attributes=attributes, evidence=[evidence]
    )
    writer.link(domain_entity, url_entity, "serves", evidence=[evidence])
    if page.tls and page.tls.get("sha256"):
        certificate = writer.entity(
            "certificate",
            f"sha256:{page.tls['sha256']}",
            name=page.tls.get("subject_cn") or page.tls["subject"],
            attributes=page.tls,
            evidence=[evidence],
        )
        writer.link(url_entity, certificate, "presents", evidence=[evidence])

    fingerprints = default_set()
    detections = detect(facts, fingerprints)
    for detection in detections:
        tech = fingerprints.technologies[detection.name]
        entity = writer.entity(
            "technology",
            f"web:{detection.name}",
            name=detection.name,
            attributes={
                "categories": [fingerprints.categories.get(c, str(c)) for c in tech.categories],
                "website": tech.website,
                "cpe": tech.cpe,
            },
            evidence=[evidence],
        )
        writer.link(
            domain_entity,
            entity,
            "uses",
            attributes={
                "versions": detection.versions,
                "confidence": detection.confidence,
                "matched": detection.matched,
                "implied_by": detection.implied_by,
                "seen_at": page.final_url,
            },
            confidence=detection.confidence / 100,
            evidence=[evidence],
        )
    return detections

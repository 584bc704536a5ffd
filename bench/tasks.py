"""Tasks only the benchmarks use, loaded into their workers with ``-I bench.tasks``."""

import time

from celery import shared_task
from django.conf import settings

from scraping.http import HttpClient


@shared_task(name="bench.tasks.noop_task", rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def noop_task(number: int) -> int:
    return number


@shared_task(name="bench.tasks.chord_done_task")
def chord_done_task(results: list[int]) -> int:
    return len(results)


@shared_task(name="bench.tasks.hammer_task")
def hammer_task(url: str, platform: str, start: float, until: float) -> int:
    """From ``start`` to ``until`` (Unix times), ask ``url`` through the product's HTTP
    layer, limits included, as fast as they allow."""
    client = HttpClient(platform=platform)
    time.sleep(max(0.0, start - time.time()))
    sent = 0
    while time.time() < until:
        client.get(url)
        sent += 1
    return sent

"""The registry of this app's collectors: which task collects which target kind."""

from investigations.registry import Collector, register_collector
from investigations.targets import TargetError, TargetKind, register_normaliser

from .domains.names import DomainNameError, normalise_domain

GITHUB_COLLECTORS = {
    TargetKind.GITHUB: "scraping.tasks.scrape_github_user_task",
    TargetKind.GITHUB_ORG: "scraping.tasks.scrape_github_organization_task",
    TargetKind.GITHUB_REPO: "scraping.tasks.scrape_github_repository_task",
}


DOMAIN_TASK = "scraping.tasks.analyze_domain_task"
DOMAIN_FAMILY = "domain"


def normalise_domain_target(value: str) -> str:
    try:
        return normalise_domain(value)
    except DomainNameError as exc:
        raise TargetError(str(exc)) from exc


def register_all() -> None:
    for kind, task_name in GITHUB_COLLECTORS.items():
        register_collector(kind, Collector(source="github", task_name=task_name, family="github"))
    register_normaliser(TargetKind.DOMAIN, normalise_domain_target)
    register_collector(
        TargetKind.DOMAIN, Collector(source="domain", task_name=DOMAIN_TASK, family=DOMAIN_FAMILY)
    )

"""The registry of this app's collectors: which task collects which target kind."""

from investigations.registry import Collector, register_collector
from investigations.targets import TargetKind

GITHUB_COLLECTORS = {
    TargetKind.GITHUB: "scraping.tasks.scrape_github_user_task",
    TargetKind.GITHUB_ORG: "scraping.tasks.scrape_github_organization_task",
    TargetKind.GITHUB_REPO: "scraping.tasks.scrape_github_repository_task",
}


def register_all() -> None:
    for kind, task_name in GITHUB_COLLECTORS.items():
        register_collector(kind, Collector(source="github", task_name=task_name, family="github"))

"""GitHub collection: users, organizations and repositories into the graph."""

from ...clients.github import PLATFORM
from .collect import build_client, scrape_organization, scrape_repository, scrape_user

SOURCE = PLATFORM

__all__ = ["SOURCE", "build_client", "scrape_organization", "scrape_repository", "scrape_user"]

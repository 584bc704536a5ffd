import factory
from django.contrib.auth import get_user_model

from investigations.models import (
    Investigation,
    InvestigationStatus,
    Job,
    JobPhase,
    Target,
    TargetStatus,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"analyst{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.django.Password("correct horse battery staple")


class InvestigationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Investigation

    name = factory.Sequence(lambda n: f"Investigation {n}")
    status = InvestigationStatus.RUNNING


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    investigation = factory.SubFactory(InvestigationFactory)
    kind = "github"
    value = factory.Sequence(lambda n: f"user{n}")


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    investigation = factory.SubFactory(InvestigationFactory)
    phase = JobPhase.SCRAPING
    name = "github"
    task_name = "scraping.tasks.scrape_github_user_task"


def add_many_targets(investigation: Investigation, count: int, *, width: int = 5) -> None:
    """``count`` GitHub targets ``user-00000``... in one insert: every tenth failed
    ("GitHub user not found"), the others succeeded."""
    Target.objects.bulk_create(
        Target(
            investigation=investigation,
            kind="github",
            value=f"user-{n:0{width}d}",
            status=TargetStatus.FAILED if n % 10 == 0 else TargetStatus.SUCCEEDED,
            error="GitHub user not found" if n % 10 == 0 else "",
        )
        for n in range(count)
    )


def refused_inputs(count: int) -> list[dict[str, str]]:
    """What an investigation records for ``count`` refused inputs: ``nope 0``..."""
    return [{"input": f"nope {n}", "error": "has no kind"} for n in range(count)]


def graph_counts() -> tuple[int, int, int]:
    """Entities, relationships and evidence stored: the same before and after a repeated
    collection, when writes are upserts."""
    from investigations.models import Entity, Evidence, Relationship

    return Entity.objects.count(), Relationship.objects.count(), Evidence.objects.count()

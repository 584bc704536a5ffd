import factory
from django.contrib.auth import get_user_model

from investigations.models import Investigation, InvestigationStatus, Job, JobPhase, Target


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

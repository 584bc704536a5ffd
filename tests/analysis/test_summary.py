import pytest

from analysis.models import Finding
from analysis.services import summarise_graph
from investigations.models import JobState
from tests.factories import JobFactory, TargetFactory


@pytest.mark.django_db
def test_problems_and_notes_of_the_sources_are_told_apart(investigation):
    broken, partial, noted = (
        TargetFactory(investigation=investigation, value=v) for v in ("a", "b", "c")
    )
    JobFactory(investigation=investigation, target=broken, state=JobState.FAILED, error="HTTP 502")
    JobFactory(
        investigation=investigation,
        target=partial,
        state=JobState.SUCCEEDED,
        result={
            "steps": {"web": {"state": "failed", "error": "timeout"}, "dns": {"state": "succeeded"}}
        },
    )
    JobFactory(
        investigation=investigation,
        target=noted,
        state=JobState.SUCCEEDED,
        result={"notes": ["languages: not available from GitHub (HTTP 404)"]},
    )

    result = summarise_graph(investigation.pk)

    problems = Finding.objects.get(key="failed_sources")
    notes = Finding.objects.get(key="source_notes")
    assert result["source_problems"] == 2
    assert problems.description == "github on github:a: HTTP 502\ngithub on github:b: web: timeout"
    assert problems.severity == "medium"
    assert notes.title == "1 note from the sources" and notes.severity == "info"

from celery import shared_task

from investigations.models import JobPhase
from investigations.tasking import JobTask, run_job

from . import services


@shared_task(bind=True, base=JobTask, soft_time_limit=1800, time_limit=2400)
def analyze_investigation_task(self, investigation_id: int) -> dict:
    """Analyse an investigation's graph and store the findings."""
    return run_job(
        self,
        investigation_id=investigation_id,
        phase=JobPhase.ANALYSIS,
        name="summary",
        work=lambda ctx: services.summarise_graph(investigation_id),
    )

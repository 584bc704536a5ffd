from celery import shared_task

from investigations.models import JobPhase
from investigations.tasking import JobTask, run_job

from . import services


@shared_task(bind=True, base=JobTask, soft_time_limit=1800, time_limit=2400)
def generate_report_task(self, investigation_id: int) -> dict:
    """Build the investigation's summary report files."""
    return run_job(
        self,
        investigation_id=investigation_id,
        phase=JobPhase.REPORT,
        name="summary",
        work=lambda ctx: services.build_summary_report(investigation_id),
    )

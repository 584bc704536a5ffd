import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, soft_time_limit=60, time_limit=120)
def health_check_task(self) -> dict:
    result = services.health_check()
    if not result["ok"]:
        logger.error(
            "Health check failed: %s", result["checks"], extra={"task_id": self.request.id}
        )
    return result


@shared_task(bind=True, soft_time_limit=300, time_limit=600)
def sweep_stuck_jobs_task(self) -> dict:
    result = services.sweep_stuck_jobs()
    logger.info("Stuck-job sweep: %s", result, extra={"task_id": self.request.id})
    return result


@shared_task(bind=True, soft_time_limit=60, time_limit=120)
def record_resource_sample_task(self) -> int:
    services.prune_resource_samples()
    return services.record_resource_sample().pk

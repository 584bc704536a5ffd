"""Schedules and queued messages refer to tasks by name: these names must not change."""

from celery import current_app

PINNED = {
    "investigations.tasks.create_investigation_task": "investigations",
    "investigations.tasks.run_full_investigation_task": "investigations",
    "investigations.tasks.scrape_github_investigation_task": "investigations",
    "investigations.tasks.update_investigation_status_task": "investigations",
    "scraping.tasks.scrape_github_user_task": "scraping",
    "scraping.tasks.scrape_github_organization_task": "scraping",
    "scraping.tasks.scrape_github_repository_task": "scraping",
    "analysis.tasks.analyze_investigation_task": "analysis",
    "reports.tasks.generate_report_task": "reports",
    "maintenance.tasks.health_check_task": "maintenance",
    "maintenance.tasks.sweep_stuck_jobs_task": "maintenance",
    "maintenance.tasks.record_resource_sample_task": "maintenance",
}


def test_every_pinned_task_is_registered_under_its_name():
    assert set(PINNED) <= set(current_app.tasks)


def test_each_task_is_routed_to_its_apps_queue():
    router = current_app.amqp.router
    for name, queue in PINNED.items():
        route = router.route({}, name)
        assert route["queue"].name == queue, name


def test_celery_is_configured_as_the_platform_needs():
    conf = current_app.conf
    assert {q.name for q in conf.task_queues} == {
        "investigations",
        "scraping",
        "analysis",
        "reports",
        "maintenance",
    }
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (3600, 7200)
    assert conf.task_compression == "gzip"
    assert conf.task_default_rate_limit == "100/m"
    assert conf.result_expires == 24 * 3600
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    # Redelivery of an unacknowledged message must come after the hard limit and any retry.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit + 900


def test_tasks_that_do_work_acknowledge_late():
    for name in (
        "scraping.tasks.scrape_github_user_task",
        "analysis.tasks.analyze_investigation_task",
        "reports.tasks.generate_report_task",
        "investigations.tasks.run_full_investigation_task",
    ):
        task = current_app.tasks[name]
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name

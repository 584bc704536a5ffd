import pytest

from investigations.models import Job, JobState, TargetStatus
from investigations.services.investigations import create_investigation
from investigations.tasks import analyze_domains_investigation_task
from scraping.tasks import analyze_domain_task


def test_the_domain_tasks_keep_their_registered_names():
    assert analyze_domain_task.name == "scraping.tasks.analyze_domain_task"
    assert analyze_domains_investigation_task.name == (
        "investigations.tasks.analyze_domains_investigation_task"
    )
    assert analyze_domain_task.soft_time_limit == 1800


@pytest.mark.django_db
def test_an_idn_domain_end_to_end_from_the_typed_target_to_the_graph(domain_world):
    investigation = create_investigation(name="IDN", targets=["Küche.de"])
    target = investigation.targets.get()
    assert (target.kind, target.value) == ("domain", "xn--kche-0ra.de")

    result = analyze_domain_task.apply(args=(target.pk,)).get()

    target.refresh_from_db()
    assert result["state"] == JobState.SUCCEEDED
    assert target.status == TargetStatus.SUCCEEDED
    assert set(result["steps"]) == {"dns", "registration", "subdomains", "certificates", "web"}
    entities = {e.key: e for e in investigation.entities.filter(kind="domain")}
    kuche = entities["xn--kche-0ra.de"]
    assert kuche.name == "küche.de"
    assert kuche.attributes["dnssec"] == {
        "signed": True,
        "validated": True,
        "signatures_seen": True,
        "ds_at_parent": True,
        "algorithms": ["13"],
    }
    assert kuche.attributes["dmarc"]["policy"] == "reject"
    assert kuche.attributes["mta_sts"]["present"] is True
    assert kuche.attributes["tls_rpt"]["present"] is True
    assert kuche.attributes["srv"]["_submission._tcp"] == ["0 1 587 mail.xn--kche-0ra.de."]
    # The IDN subdomain from a certificate, resolved and shown in Unicode.
    buro = entities["xn--bro-hoa.xn--kche-0ra.de"]
    assert buro.name == "büro.küche.de"
    assert buro.attributes["addresses"] == ["192.0.2.30"]
    # "MAIL.Xn--Kche-0ra.de" and "mail.xn--kche-0ra.de" in one certificate are one name.
    assert [k for k in entities if k.startswith("mail.")] == ["mail.xn--kche-0ra.de"]
    assert "*.xn--kche-0ra.de" in entities
    assert "kueche-shop.example" not in entities
    assert result["certificates"]["out_of_scope"] == 1
    assert result["certificates"]["not_a_host_name"] == 2
    ip = investigation.entities.get(kind="ip", key="2001:db8::10")
    assert ip.attributes["ptr_unicode"] == ["küche.de"]


@pytest.mark.django_db
def test_the_investigation_task_queues_the_domain_targets_only(domain_world):
    from osint_platform.celery import app

    investigation = create_investigation(
        name="Mixed", targets=["domain:github.com", "github:octocat"]
    )
    investigation.status = "queued"
    investigation.save(update_fields=["status"])

    try:
        result = analyze_domains_investigation_task.apply(args=(investigation.pk,)).get()
    finally:
        app.control.purge()

    assert result == {"state": "launched", "collection_tasks": 1}
    jobs = Job.objects.filter(investigation=investigation, phase="scraping")
    assert [(j.target.kind, j.name, j.task_name) for j in jobs] == [
        ("domain", "domain", "scraping.tasks.analyze_domain_task")
    ]

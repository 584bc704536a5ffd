import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from reports.models import Report
from tests.factories import InvestigationFactory, UserFactory


@pytest.mark.django_db
def test_the_report_admin_links_to_the_download_view_not_to_a_media_address(
    client, settings, tmp_path
):
    settings.REPORTS_DIR = tmp_path
    investigation = InvestigationFactory()
    report = Report(investigation=investigation, kind="summary", format="html", size=5)
    report.file.save(f"{investigation.pk}/summary.html", ContentFile(b"<p>x</p>"))
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    change = client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()
    listing = client.get(reverse("admin:reports_report_changelist")).content.decode()

    download = reverse("reports:download", args=[report.pk])
    assert f'<a href="{download}">summary.html</a>' in change
    assert f'<a href="{download}">summary.html</a>' in listing
    assert "/media/" not in change
    assert client.get(download).status_code == 200

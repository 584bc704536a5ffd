"""In production (DEBUG off) the web process serves the pages' and the admin's static
files itself: hashed, compressed, cached for a long time."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run inside the production process: fetch the pages' and the admin's stylesheets, the
# pages' icon and the detail page's script through the whole middleware stack, as a
# browser would.
FETCH = """
import json, re
from django.templatetags.static import static
from django.test import Client
client = Client(HTTP_ACCEPT_ENCODING="gzip")
def fetch(url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return {"url": url, "status": response.status_code, "encoding": response.get("Content-Encoding"),
            "cache": response.get("Cache-Control"), "size": len(body)}
def linked(page, rel):
    html = client.get(page).content.decode()
    return re.search(f'<link rel="{rel}"[^>]* href="([^"]+)"', html).group(1)
print(json.dumps([fetch(linked("/login/", "stylesheet")), fetch(linked("/admin/login/", "stylesheet")),
                  fetch(static("js/detail.js")), fetch(linked("/login/", "icon")),
                  fetch("/static/css/missing.css")]))
"""


def test_production_serves_hashed_compressed_static_files_for_pages_and_admin(tmp_path):
    env = {
        **os.environ,
        "OSINT_ENV": "production",
        "SECRET_KEY": "static-files-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path / "static"),
        "OSINT_VAR_DIR": str(tmp_path / "var"),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )

    done = subprocess.run(
        [*manage, "shell", "-c", FETCH], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    # The last line: the shell may say what it imported before.
    page_css, admin_css, detail_js, icon, missing = json.loads(done.stdout.splitlines()[-1])
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", page_css["url"])
    assert re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", admin_css["url"])
    assert re.fullmatch(r"/static/js/detail\.[0-9a-f]{12}\.js", detail_js["url"])
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", icon["url"])
    for served in (page_css, admin_css, detail_js, icon):
        assert served["status"] == 200 and served["size"] > 0, served
        assert served["encoding"] == "gzip", served
        assert "immutable" in served["cache"], served
    assert missing["status"] == 404


def test_browsers_asking_for_favicon_ico_are_sent_to_the_projects_icon(client):
    """The admin's and the browsable API's pages name no icon; browsers ask anyway."""
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"

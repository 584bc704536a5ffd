from pathlib import Path

from .core import VAR_DIR
from .env import env_int, env_str

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
REPORTS_DIR = Path(env_str("REPORTS_DIR", str(MEDIA_ROOT / "reports")))
# Evidence bodies are kept compressed; this is the most kept per answer.
EVIDENCE_MAX_BODY_BYTES = env_int("EVIDENCE_MAX_BODY_BYTES", 2 * 1024 * 1024)
# The HTML report shows at most this many entities and this many relationships; the
# JSON report always holds them all.
REPORT_HTML_MAX_ROWS = env_int("REPORT_HTML_MAX_ROWS", 2000)

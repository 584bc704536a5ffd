"""Log context: fields such as the task id or investigation id that every line carries.

Call sites pass them as ``extra={...}``; the filter gathers the known ones into
``record.context`` for the text format, and the JSON formatter writes them as fields.
"""

import json
import logging
from datetime import UTC, datetime

CONTEXT_FIELDS = ("task_id", "task", "investigation_id", "target", "source", "job_id", "url")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        parts = [
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        ]
        record.context = (" " + " ".join(parts)) if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)

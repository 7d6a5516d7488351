"""JSON lines for log collectors (``LOG_FORMAT=json``, the default in production)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came in through ``extra=``.
# uvicorn's ``color_message`` repeats the message with terminal colours.
_SKIPPED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _SKIPPED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an ``extra`` value JSON does not know (a UUID, a path) still logs.
        return json.dumps(entry, ensure_ascii=False, default=str)

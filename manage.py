#!/usr/bin/env python
"""Django's command-line utility for Lotse.

Configuration mistakes end in one line that says what to fix (exit code 2), not a traceback;
``--traceback`` still shows the whole story.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.dev")
    from django.core.management import execute_from_command_line

    from backend.cli import run_with_clear_errors

    run_with_clear_errors(lambda: execute_from_command_line(sys.argv), sys.argv)


if __name__ == "__main__":
    main()

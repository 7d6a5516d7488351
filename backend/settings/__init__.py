"""Settings package: ``base`` holds everything, ``dev``/``prod``/``test`` adjust it.

Operators set ``DJANGO_SETTINGS_MODULE=backend.settings.prod``; without it ``manage.py`` and the
ASGI app use ``backend.settings.dev``, the embedded default.
"""

"""Celery app, queue and task names, and thin task functions that call backend services."""

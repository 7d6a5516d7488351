"""Lotse's crawler: Scrapy spider, URL scope rules, robots, change detection, page store.

Imports nothing of Lotse's own and neither Django nor Celery: it takes frozen config objects.
"""

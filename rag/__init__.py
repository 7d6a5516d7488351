"""Lotse's retrieval library: parse, clean, chunk, embed, index, retrieve, answer.

Imports nothing of Lotse's own and neither Django nor Celery: it takes frozen config objects.
"""

"""Scrapy spiders; thin: page functions live in crawler.pages, rules in crawler.scope."""

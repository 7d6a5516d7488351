"""Crawling a MediaWiki through its API: pages by revision, deletions and moves from its logs.

``crawler.mediawiki.crawl`` is what the crawl child runs for a source with a
``CrawlConfig.mediawiki``; ``crawler.mediawiki.client`` is its one way to the wiki.
"""

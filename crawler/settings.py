"""Scrapy settings for one crawl, derived from its CrawlConfig (never from the environment)."""

from __future__ import annotations

from typing import Any

from crawler.config import CrawlConfig

MW = "crawler.middlewares."
STOCK = "crawler.stock_middlewares."


def scrapy_settings(config: CrawlConfig) -> dict[str, Any]:
    return {
        "BOT_NAME": "lotse",
        "USER_AGENT": config.user_agent,
        # robots.txt groups name the product token ("LotseBot"), not the full header.
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": config.user_agent.split("/", 1)[0].split(" ", 1)[0],
        "CONCURRENT_REQUESTS": max(16, config.concurrency_per_host),
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.concurrency_per_host,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        # Outputs processed in parallel per response. The spider yields only requests, whose
        # handling is synchronous; Scrapy's default of 100 made 100 asyncio tasks per page.
        "CONCURRENT_ITEMS": 4,
        # crawler.politeness spaces requests per host (Crawl-delay included, across processes
        # with Redis); a second, randomised delay in Scrapy's slot would shift starts away
        # from the reserved times.
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": config.request_timeout_s,
        "DOWNLOAD_MAXSIZE": config.max_response_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_ENABLED": config.max_redirects > 0,
        "REDIRECT_MAX_TIMES": max(config.max_redirects, 1),
        "METAREFRESH_ENABLED": True,
        "CLOSESPIDER_TIMEOUT": config.time_limit_s,
        "DEPTH_LIMIT": 0,  # depth is a scope rule (crawler.scope), logged per URL
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Proxies from the environment would route around the SSRF guard's view of the host.
        "HTTPPROXY_ENABLED": False,
        # Only http(s): file://, ftp://, s3:// and data: are never a website's pages.
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        # Checks the address Twisted actually connects to (see crawler.resolver).
        "TWISTED_DNS_RESOLVER": "crawler.resolver.GuardedResolver",
        "LOTSE_ALLOWED_NETWORKS": list(config.allowed_networks),
        "LOTSE_POLITENESS_REDIS_URL": config.politeness_redis_url,
        "RETRY_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": config.log_level,
        "DOWNLOADER_MIDDLEWARES": {
            # Below the retries (550): sees a robots.txt's last answer or error.
            MW + "RobotsReportMiddleware": 30,
            # Scope first: a host outside the source is refused without even a DNS lookup.
            MW + "RedirectScopeMiddleware": 40,
            MW + "NetGuardMiddleware": 50,
            # Scrapy's robots.txt check runs at 100, after the guard. It and the other stock
            # middlewares below raise typed errors in Lotse's versions (crawler.stock_middlewares).
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            STOCK + "TypedRobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            STOCK + "TypedMetaRefreshMiddleware": 580,
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            STOCK + "TypedHttpCompressionMiddleware": 590,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
            STOCK + "TypedRedirectMiddleware": 600,
            MW + "RobotsProbeMiddleware": 110,
            MW + "ConditionalGetMiddleware": 560,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            MW + "BackoffRetryMiddleware": 550,
            # Last before the download: refused and robots-disallowed requests never wait
            # for a slot, and the reserved start time is kept closely.
            "crawler.politeness.HostPolitenessMiddleware": 950,
        },
    }

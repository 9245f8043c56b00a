"""Scrapy settings for newsdesk crawls: polite by default, every value overridable.

Override per run with `-s NAME=VALUE` (crawlers.run) or NEWSDESK_CONTACT for the User-Agent.
The NEWSDESK_* settings are ours; docs/crawling.md documents each.
"""

import os

BOT_NAME = "newsdesk"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

CONTACT = os.environ.get("NEWSDESK_CONTACT", "https://github.com/newsdesk/newsdesk")
USER_AGENT = f"newsdesk/0.1 (+{CONTACT}; research crawler for public health news)"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 25 * 1024 * 1024  # bigger bodies end as `too-large` errors
DOWNLOAD_WARNSIZE = 0
DOWNLOAD_FAIL_ON_DATALOSS = True  # truncated bodies end as `truncated` errors
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5  # longer chains and loops end as `redirect-loop` errors
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
HTTPERROR_ALLOWED_CODES: list[int] = []

# After HttpCompressionMiddleware (590) has decoded the body, before the retry middleware.
DOWNLOADER_MIDDLEWARES = {"crawlers.warc.WarcMiddleware": 585}
NEWSDESK_WARC_DIR = ""  # where WARC files go; empty: no archive
NEWSDESK_WARC_NAME = ""  # folder name items record before the file name ("warc")
NEWSDESK_WARC_PREFIX = ""  # file name prefix; default newsdesk-<UTC start time>
NEWSDESK_WARC_MAX_BYTES = 1024**3  # rotate to a new file past this size
NEWSDESK_EXTRACT_WORKERS = -1  # extraction processes; -1: one per CPU, 0: in the crawler
# Start those processes only once the crawl has queued this many article pages: below it,
# starting them (about a second of CPU each) costs more than they save.
NEWSDESK_EXTRACT_POOL_MIN = 150

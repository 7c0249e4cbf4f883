"""The staff web console: a second front end over relay/ (aiohttp, Jinja2, no scripts inline)."""

"""The ``rcm`` command line, composed: bot/'s verbs plus the demo's.

bot/ must not import demo/ (the demo drives the bot, not the other way round), so the one
entry point that knows both lives here, above them (docs/ARCHITECTURE.md).
"""

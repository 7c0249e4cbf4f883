"""Telegram side of RCM Relay: the Application, handlers, i18n, and the sandbox Bot API."""

"""Telegram side of RCM Relay: the Application, handlers, i18n, the outbox dispatcher, the CLI."""

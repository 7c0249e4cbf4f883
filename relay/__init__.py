"""RCM Relay domain core: messages, review, export, audit. Knows nothing of Telegram."""

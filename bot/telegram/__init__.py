"""Adapters that talk to Telegram: the session, the one paced sender, the delivery drainer."""

"""Services: the rules of each capability, free of Telegram types."""

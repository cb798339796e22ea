"""The Telegram handlers, one module per feature (as python-telegram-bot's examples are): each handler
parses the update, calls the core (in a worker thread), formats, and sends. ``bot.app`` wires them."""

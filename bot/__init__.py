"""tanya's front ends: the Telegram bot and the ``tanya`` command line."""

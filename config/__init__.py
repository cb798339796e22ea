"""tanya's configuration: one pydantic-settings ``Settings``."""

from config.settings import SAMPLE_DOCS_DIR, Settings, SettingsError, load_settings

__all__ = ["SAMPLE_DOCS_DIR", "Settings", "SettingsError", "load_settings"]

"""tanya's configuration: one pydantic-settings ``Settings``."""

from config.settings import DEFAULT_MODEL, SAMPLE_DOCS_DIR, Settings, SettingsError, load_settings

__all__ = ["DEFAULT_MODEL", "SAMPLE_DOCS_DIR", "Settings", "SettingsError", "load_settings"]

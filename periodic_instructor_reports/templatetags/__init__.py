"""Template tags of the plugin's admin pages."""

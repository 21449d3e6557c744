"""The one-command demo: the plugin with the platform stand-in, one beat and one worker (never packaged)."""

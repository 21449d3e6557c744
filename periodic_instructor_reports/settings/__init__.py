"""Settings the plugin contributes to the LMS (applied by the Open edX plugin machinery)."""

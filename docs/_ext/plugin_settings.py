"""
Sphinx extension: ``.. plugin-settings::`` renders every setting from the plugin's own table.

The table is ``periodic_instructor_reports.conf.SETTINGS`` (name -> (default, description)), so
the settings page cannot drift from the code.
"""

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _default(value):
    """Return the reStructuredText lines of a default: a literal, or a bullet list for a long list."""
    if isinstance(value, list) and len(value) > 3:
        return ["Default:", "", *[f"- ``{item}``" for item in value]]
    return [f"Default: ``{value!r}``"]


class PluginSettings(SphinxDirective):
    """Render one section per setting, in the order of the table."""

    def run(self):
        from periodic_instructor_reports import conf

        lines = []
        for name, (default, description) in conf.SETTINGS.items():
            lines += [f".. setting:: {conf.PREFIX}{name}", ""]
            lines += [f"   {line}" for line in description.splitlines()]
            lines.append("")
            lines += [f"   {line}" if line else "" for line in _default(default)]
            lines.append("")
        container = nodes.section()
        self.state.nested_parse(StringList(lines, source="periodic_instructor_reports/conf.py"),
                                self.content_offset, container)
        return container.children


def setup(app):
    """Register the directive and the ``setting`` object type (``:setting:`` references it)."""
    app.add_object_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_directive("plugin-settings", PluginSettings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

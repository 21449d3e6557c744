"""
Sphinx extension: ``.. plugin-settings::`` renders every setting from the plugin's own table.

The table is ``periodic_instructor_reports.conf.SETTINGS`` (name -> (default, description)), so
the settings page cannot drift from the code.
"""

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _default(value):
    """Return the reStructuredText lines of a default: a literal, or a bullet list for a long list."""
    if isinstance(value, list) and len(value) > 3:
        return ["Default:", "", *[f"- ``{item}``" for item in value]]
    return [f"Default: ``{value!r}``"]


class PluginSettings(SphinxDirective):
    """Render one section per setting, in the order of the table (placed inside a ``*`` section)."""

    def run(self):
        from periodic_instructor_reports import conf

        lines = []
        for name, (default, description) in conf.SETTINGS.items():
            lines += [f".. setting:: {conf.PREFIX}{name}", "", name, "=" * len(name), "",
                      f"``{conf.PREFIX}{name}``", ""]
            lines += description.splitlines()
            lines.append("")
            lines += _default(default)
            lines.append("")
        container = nodes.section()
        nested_parse_with_titles(self.state, StringList(lines, source="periodic_instructor_reports/conf.py"),
                                 container)
        return container.children


def setup(app):
    """Register the directive and the ``setting`` target (``:setting:`` references it)."""
    app.add_crossref_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_directive("plugin-settings", PluginSettings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

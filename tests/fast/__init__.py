"""
Fast tests of the plugin's decision logic: ``SimpleTestCase`` only, no database.

Each file imports the functions it tests in one block at its top, so a function that moves to
another module is a one-line change here; logger names and patch targets are taken from the
``__module__`` of what is imported, so they follow it.
"""

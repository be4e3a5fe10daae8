"""One small controller per feature: it turns its pane's intents into service calls and hands results back.

Each controller takes its pane, the task runner and the status line, and is told when the
connection changes (`connection_changed(session)`); the main window only builds them and
passes the session along, so it does not grow with every pane.
"""

"""The panes: one module each. They emit intents and take data; they never import each other."""

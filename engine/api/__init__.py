"""Request handlers, one module per API (or per small family of APIs); routes.py is the table."""

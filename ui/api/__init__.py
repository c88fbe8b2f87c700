"""The REST API (``main.create_app``); import the app through ``ui``, not from here."""

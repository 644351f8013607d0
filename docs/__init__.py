"""The documentation sources (a package only so that pytest imports docs/conftest.py by its own name)."""

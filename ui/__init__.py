"""The PySide6 shell: windows, dialogs, pages and models. It calls core only through app.tasks workers."""

"""The supervisors' Recommendations page (core.ai)."""

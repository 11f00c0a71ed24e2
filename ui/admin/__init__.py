"""The admin page: users and their roles, status and MFA."""

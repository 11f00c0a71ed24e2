"""Security: users, passwords, MFA, roles and the signed audit trail."""

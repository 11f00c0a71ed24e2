"""Login with MFA: credentials, first-login enrollment, recovery codes, and unlocking an idle desk."""

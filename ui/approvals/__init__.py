"""The approvals inbox (four eyes): ``ApprovalsPage``."""

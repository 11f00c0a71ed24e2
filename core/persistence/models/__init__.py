"""Every table of QENEX Console. Import this package to get the complete metadata."""
from core.persistence.base import Base
from core.persistence.models.ai import AiRun, FraudSettings, Recommendation
from core.persistence.models.approvals import ApprovalLimit, ApprovalRequest
from core.persistence.models.cases import (
    AlertLink, CaseFile, CustomerActivity, FraudCase, FraudEvent, SlaBand, Suppression,
)
from core.persistence.models.drawers import CashReport, Drawer, DrawerSession, StandingInstruction, StandingRun
from core.persistence.models.fraud import FraudAlert, FraudBin, FraudCard, FraudLabel, FraudModel, FraudScore, FraudSeen
from core.persistence.models.ledger import Account, CurrencyExponent, Customer, Entry, Transfer
from core.persistence.models.payments import Payment, PaymentEvent, PaymentOrder, VaultCard
from core.persistence.models.security import AuditBatch, AuditEntry, RecoveryCode, User
from core.persistence.models.teller import AccountHold, ReceiptPrint

__all__ = ["Base", "Customer", "Account", "Transfer", "Entry", "CurrencyExponent", "User", "RecoveryCode", "AuditEntry", "AuditBatch"]
__all__ += ["FraudBin", "FraudSeen", "FraudCard", "FraudModel", "FraudScore", "FraudAlert", "FraudLabel"]
__all__ += ["FraudCase", "FraudEvent", "CaseFile", "Suppression", "AlertLink", "SlaBand", "CustomerActivity"]
__all__ += ["AccountHold", "ReceiptPrint"]
__all__ += ["Payment", "PaymentEvent", "PaymentOrder", "VaultCard"]
__all__ += ["Drawer", "DrawerSession", "CashReport", "StandingInstruction", "StandingRun"]
__all__ += ["FraudSettings", "AiRun", "Recommendation"]
__all__ += ["ApprovalRequest", "ApprovalLimit"]

"""Payments: card payments through a provider (Stripe), the card vault, and outgoing bank transfers
(payment orders on the SEPA, ACH and wire rails, and their files)."""

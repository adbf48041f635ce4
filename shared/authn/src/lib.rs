//! Inbound JWT validation: the one validator for user and admin tokens (in progress).

//! End-to-end scenarios live in e2e/.

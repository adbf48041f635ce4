//! End-to-end scenarios across the real binaries live in `e2e/`; this crate has no library code.

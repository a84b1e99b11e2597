//! The audit trail: append-only, hash-chained.
//! PLACEHOLDER: built by the hold-workflow issue.

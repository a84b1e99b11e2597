//! Actions: a [`crate::policy::Decision`] → concrete header and body edits.
//! PLACEHOLDER: built by the milter issue.

//! Tests of the staff store.

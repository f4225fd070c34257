//! The adjudication engine.

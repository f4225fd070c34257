//! Reference-data packs: loading and validation.

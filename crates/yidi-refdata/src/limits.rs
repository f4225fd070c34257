//! Bounds on what a pack may contain, so a hostile or broken pack cannot exhaust the loader.

/// Largest file read from a pack directory. The national division table is about 100 KiB and a
/// province's whole catalog a few tens of MiB; 256 MiB leaves room without risking memory.
pub const PACK_FILE_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// Most files a pack directory may hold (31 provinces' catalogs and a few hundred policies).
pub const PACK_FILES_MAX: usize = 10_000;

/// Deepest folder nesting walked in a pack directory; a valid pack uses one level.
pub const PACK_DIR_DEPTH_MAX: usize = 8;

/// Most segments in one `segments` layer and most entries in a `nth_bp` schedule.
pub const POLICY_LIST_LEN_MAX: usize = 32;

/// Longest cap-pool name (`[a-z][a-z0-9_]{0,31}`).
pub const CAP_POOL_LEN_MAX: usize = 32;

const _: () = assert!(PACK_DIR_DEPTH_MAX >= 2, "catalog/ and policies/ sit one level down");
const _: () = assert!(CAP_POOL_LEN_MAX >= 1);

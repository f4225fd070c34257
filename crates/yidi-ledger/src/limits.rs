//! Every bound of the ledger in one place, with the relationships between them checked at compile
//! time (`style.md` habit 8).

use yidi_domain::Fen;

/// Entries one posting may hold. The largest posting Yidi builds is a settlement: five fund legs,
/// prepayment, transit, facility receivable, agency payable and the two cash legs (11).
pub const ENTRIES_PER_POSTING_MAX: usize = 16;

/// Largest amount of one entry line, in fen: `Fen::MAX` (one trillion yuan).
pub const LINE_FEN_MAX: i64 = Fen::MAX.get();

/// Bytes of a posting's reference (`setl_id`, clearing id, notice number).
pub const REFERENCE_BYTES_MAX: usize = 64;

/// Months of fund share a prepayment may be sized at (`policy-background.md` §4.2 uses 2; Hebei
/// collects 6 from its own regions).
pub const PREPAYMENT_MONTHS_MAX: u32 = 12;

/// Largest per-capita lump sum per person-month, in fen (100 000 yuan).
pub const LUMP_SUM_FEN_PER_PERSON_MONTH_MAX: i64 = 10_000_000;

/// Most persons a lump-sum pair may be billed for in one month (ten million).
pub const LUMP_SUM_PERSONS_MAX: u32 = 10_000_000;

// One posting's lines sum far below i64::MAX, so a posting's totals never overflow.
const _: () = assert!((ENTRIES_PER_POSTING_MAX as i64) < i64::MAX / LINE_FEN_MAX);
// A lump sum (persons × fen per person-month) fits a line.
const _: () = assert!(LUMP_SUM_PERSONS_MAX as i64 * LUMP_SUM_FEN_PER_PERSON_MONTH_MAX <= LINE_FEN_MAX);
// A prepayment sized at the most months of a year's fund share fits the i128 arithmetic trivially,
// and a month count above 12 would mean more than a year of float.
const _: () = assert!(PREPAYMENT_MONTHS_MAX <= 12);
// A settlement (11 lines) fits a posting.
const _: () = assert!(ENTRIES_PER_POSTING_MAX >= 11);

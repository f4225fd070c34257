//! Clearing one month of 10 000 000 synthetic settlements across all 31 × 30 province pairs:
//! every settlement is built, posted (balances and the month's statements rolled up), then the
//! month is closed and netted. Run with `cargo bench -p yidi-ledger`.
//!
//! Allocation strategy: facts are generated from the settlement's index by a fixed mixing
//! function into one reused `SettlementFacts` (its `setl_id` buffer is rewritten in place), so
//! nothing is kept per settlement; each posting allocates its reference and one entries vector of
//! exact capacity, dropped after posting. The ledger's memory is O(accounts + pairs), not
//! O(settlements). One in 100 settlements is reversed and one in 200 partly refused, so the month
//! has the usual mix. A progress bar goes to stderr (redrawn every 100 000 settlements); the time
//! of each phase and the peak RSS are printed at the end. After the close, every pair's clearing
//! payment is posted (the insured province pays its frozen clearing) and every prepayment must be
//! restored, so the bench covers the whole monthly cycle, not only the statements.

use std::fmt::Write;
use std::time::Instant;

use yidi_domain::{DateTime, DivisionCode, Fen, InsuType};
use yidi_ledger::{
    ClearingConfig, ClrType, FacilityId, Fund, FundAmounts, Ledger, Month, Pair, SettlementFacts,
    clearing_payment, prepayment, refusal, reversal, settlement,
};

fn main() {
    divan::main();
}

const PROVINCES: [u32; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
    61, 62, 63, 64, 65,
];
const SETTLEMENTS: u64 = 10_000_000;
const CITIES: u32 = 5;
const FACILITIES_PER_CITY: u64 = 20;

/// SplitMix64: a fixed, seedless mixing of the index, so the month is the same on every run.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn division(province: u32, city: u32) -> DivisionCode {
    DivisionCode::parse(&format!("{province:02}{city:02}00")).unwrap()
}

/// Precomputed codes, so generating a settlement parses nothing.
struct World {
    regions: Vec<Vec<DivisionCode>>,
    facilities: Vec<Vec<Vec<FacilityId>>>,
    start: i64,
}

impl World {
    fn new() -> World {
        let regions: Vec<Vec<DivisionCode>> =
            PROVINCES.iter().map(|&p| (1..=CITIES).map(|c| division(p, c)).collect()).collect();
        let facilities = regions
            .iter()
            .map(|cities| {
                cities
                    .iter()
                    .map(|r| {
                        (1..=FACILITIES_PER_CITY)
                            .map(|n| FacilityId::parse(&format!("H{r}{n:05}")).unwrap())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        World { regions, facilities, start: DateTime::parse("2025-03-01 00:00:00").unwrap().to_epoch_secs() }
    }

    /// Settlement `i` of the month, written into `f`.
    fn facts(&self, i: u64, f: &mut SettlementFacts) {
        let h = mix(i);
        let ins = (h % 31) as usize;
        let tr = (ins + 1 + ((h >> 8) % 30) as usize) % 31;
        let (ins_city, tr_city) = (((h >> 16) % 5) as usize, ((h >> 20) % 5) as usize);
        f.setl_id.clear();
        write!(f.setl_id, "S{i:010}").unwrap();
        f.at = DateTime::from_epoch_secs(self.start + (i * 31 * 86_400 / SETTLEMENTS) as i64);
        f.insured_region = self.regions[ins][ins_city];
        f.treatment_region = self.regions[tr][tr_city];
        f.facility = self.facilities[tr][tr_city][((h >> 24) % FACILITIES_PER_CITY) as usize];
        let employee = (h >> 32) & 1 == 1;
        f.insutype = if employee { InsuType::Employee } else { InsuType::Resident };
        f.clr_type = if (h >> 33).is_multiple_of(8) { ClrType::Inpatient } else { ClrType::Outpatient };
        let base = ((h >> 36) % 500_000) as i64;
        let inpatient = f.clr_type == ClrType::Inpatient;
        f.hifp = Fen::new(if inpatient { base * 20 } else { base });
        f.hifob = Fen::new(if employee && inpatient { base } else { 0 });
        f.hifmi = Fen::new(if !employee && inpatient { base / 2 } else { 0 });
        f.maf = Fen::new(if (h >> 40).is_multiple_of(20) { base / 4 } else { 0 });
        f.acct = Fen::new(if employee { base / 5 } else { 0 });
        f.cash = Fen::new(base / 3);
    }
}

fn blank() -> SettlementFacts {
    SettlementFacts {
        setl_id: String::with_capacity(16),
        at: DateTime::from_epoch_secs(0),
        insured_region: division(11, 1),
        treatment_region: division(12, 1),
        facility: FacilityId::parse("H12010000001").unwrap(),
        insutype: InsuType::Employee,
        clr_type: ClrType::Outpatient,
        hifp: Fen::ZERO,
        hifob: Fen::ZERO,
        hifmi: Fen::ZERO,
        maf: Fen::ZERO,
        acct: Fen::ZERO,
        cash: Fen::ZERO,
    }
}

fn fund_every_pair(ledger: &mut Ledger) {
    let at = DateTime::parse("2025-03-01 00:00:00").unwrap();
    for &a in &PROVINCES {
        for &b in PROVINCES.iter().filter(|&&b| b != a) {
            let pair = Pair::new(division(a, 0), division(b, 0)).unwrap();
            ledger.post(&prepayment(pair, Fen::new(10_000_000_000), at, "YF").unwrap()).unwrap();
        }
    }
}

/// Posts the month's settlements (with their reversals and refusals); returns how many postings.
fn post_month(world: &World, ledger: &mut Ledger, n: u64) -> u64 {
    let mut f = blank();
    let mut postings = 0;
    let started = Instant::now();
    for i in 0..n {
        world.facts(i, &mut f);
        let s = settlement(&f);
        ledger.post(&s).unwrap();
        postings += 1;
        if i % 100 == 7 {
            ledger.post(&reversal(&s, f.at)).unwrap();
            postings += 1;
        } else if i % 200 == 3 && f.hifp > Fen::ZERO {
            let cut = FundAmounts::of(&[(Fund::basic(f.insutype), Fen::new(f.hifp.get() / 10 + 1))]);
            ledger.post(&refusal(&s, &cut, f.at).unwrap()).unwrap();
            postings += 1;
        }
        if (i + 1).is_multiple_of(PROGRESS_EVERY) || i + 1 == n {
            progress(i + 1, n, started);
        }
    }
    eprintln!();
    postings
}

/// Settlements between two redraws of the progress bar.
const PROGRESS_EVERY: u64 = 100_000;
const BAR_WIDTH: u64 = 40;

/// `[#########                ] 2.3M / 10.0M settlements  5.1 s`, redrawn in place on stderr.
fn progress(done: u64, total: u64, started: Instant) {
    let filled = (done * BAR_WIDTH / total.max(1)) as usize;
    let bar = format!("{}{}", "#".repeat(filled), " ".repeat(BAR_WIDTH as usize - filled));
    eprint!(
        "\r  [{bar}] {:>4.1}M / {:.1}M settlements  {:.1} s",
        done as f64 / 1e6,
        total as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

/// Every pair's clearing of `month` paid by its insured province; returns the total paid.
fn pay_every_pair(ledger: &mut Ledger, month: Month) -> Fen {
    let at = DateTime::parse("2025-04-08 10:00:00").unwrap();
    let clearings: Vec<_> = ledger.period(month).unwrap().pairs().cloned().collect();
    let mut paid = Fen::ZERO;
    for c in &clearings {
        ledger.post(&clearing_payment(c, at, "QS")).unwrap();
        paid += c.due();
    }
    for c in &clearings {
        let pair = c.statement().pair();
        assert_eq!(ledger.charged(pair), Fen::ZERO, "{pair}: the prepayment is restored after payment");
    }
    paid
}

fn peak_rss_kib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// The whole month: 10 000 000 settlements posted, then closed and netted.
#[divan::bench(sample_count = 1, sample_size = 1)]
fn clear_month_10m(bencher: divan::Bencher) {
    let world = World::new();
    bencher.bench_local(|| {
        let started = Instant::now();
        let mut ledger = Ledger::new();
        fund_every_pair(&mut ledger);
        let postings = post_month(&world, &mut ledger, SETTLEMENTS);
        let posted = started.elapsed();
        let month = Month::new(2025, 3).unwrap();
        let period = ledger.close_month(month, &ClearingConfig::itemised()).unwrap();
        let pairs = period.pairs().count();
        let n = period.netting();
        let closed = started.elapsed();
        let paid = pay_every_pair(&mut ledger, month);
        assert_eq!(paid, n.gross().iter().map(|t| t.amount).sum::<Fen>(), "payments = gross obligations");
        assert_eq!(ledger.trial_balance(), Fen::ZERO);
        eprintln!(
            "  {postings} postings in {:.1} s, close + netting {:.3} s, {pairs} payments {:.3} s (total {:.1} s); {} accounts; gross {} in {} transfers, net {} in {} (saving {}); peak RSS {} KiB",
            posted.as_secs_f64(),
            (closed - posted).as_secs_f64(),
            (started.elapsed() - closed).as_secs_f64(),
            started.elapsed().as_secs_f64(),
            ledger.balances().len(),
            n.gross_total(),
            n.gross().len(),
            n.net_total(),
            n.net().len(),
            n.saving(),
            peak_rss_kib()
        );
        divan::black_box(n.net_total())
    });
}

/// The settlement path's ledger cost: build one settlement posting and post it to a warm ledger.
#[divan::bench]
fn settlement_posting(bencher: divan::Bencher) {
    let world = World::new();
    let mut ledger = Ledger::new();
    post_month(&world, &mut ledger, 100_000);
    let mut f = blank();
    let mut i = 100_000u64;
    bencher.bench_local(|| {
        world.facts(i, &mut f);
        i += 1;
        let s = settlement(&f);
        ledger.post(&s).unwrap();
    });
}

/// Netting alone: the 930 obligations of a month.
#[divan::bench]
fn netting_930_pairs(bencher: divan::Bencher) {
    let mut obligations = Vec::new();
    for (k, &a) in PROVINCES.iter().enumerate() {
        for &b in PROVINCES.iter().filter(|&&b| b != a) {
            let pair = Pair::new(division(a, 0), division(b, 0)).unwrap();
            obligations.push((pair, Fen::new((mix(k as u64 * 100 + u64::from(b)) % 10_000_000_000) as i64)));
        }
    }
    bencher.bench_local(|| yidi_ledger::Netting::compute(obligations.iter().copied()).net_total());
}

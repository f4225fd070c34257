//! The simulator's seeded random numbers: SplitMix64, small and fully deterministic, so the same
//! seed gives the same traffic on every machine. Not for anything secret.

/// A SplitMix64 generator (Steele, Lea and Flood, 2014).
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A generator for one sub-stream (one flow's lines), independent of the parent's order.
    pub fn derive(seed: u64, stream: u64) -> Rng {
        let mut mixer = Rng::new(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Rng::new(mixer.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for our `n`).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "empty range");
        let wide = u128::from(self.next_u64()) * n as u128;
        usize::try_from(wide >> 64).expect("below n")
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        let span = usize::try_from(hi - lo + 1).expect("span fits usize");
        lo + self.below(span) as u64
    }

    /// True with probability `bp` / 10 000.
    pub fn chance_bp(&mut self, bp: u32) -> bool {
        assert!(bp <= 10_000, "probability {bp} bp above 100 %");
        self.below(10_000) < bp as usize
    }

    /// Roughly log-uniform in `lo..=hi`: small values as often per doubling as large ones, as
    /// prices and stay lengths are. Built from integers: a random doubling, then uniform inside.
    pub fn log_between(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(0 < lo && lo <= hi, "bad range {lo}..={hi}");
        let doublings = u64::from(hi.ilog2() - lo.ilog2());
        let d = self.between(0, doublings);
        let start = (lo << d).min(hi);
        let end = (lo << (d + 1)).saturating_sub(1).clamp(start, hi);
        self.between(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same seed, same numbers; ranges are respected.
    #[test]
    fn deterministic_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1_000 {
            assert_eq!(a.next_u64(), b.next_u64());
            let x = a.log_between(50, 500);
            assert!((50..=500).contains(&x), "{x}");
            assert_eq!(x, b.log_between(50, 500));
            let y = a.between(5, 20);
            assert!((5..=20).contains(&y));
            assert_eq!(y, b.between(5, 20));
        }
    }
}

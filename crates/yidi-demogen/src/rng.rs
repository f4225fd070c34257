//! A small seeded PRNG (splitmix64), so the pack is byte-identical on every run and machine.
//!
//! Each part of the pack draws from its own stream (`Rng::stream`), so adding a draw in one module
//! never shifts the values of another.

/// splitmix64 (Steele, Lea and Flood 2014): one 64-bit state, good enough for demo data.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

/// The fixed seed of the demo pack ("Yidi" + 2025).
pub const SEED: u64 = 0x5969_6469_0000_2025;

impl Rng {
    /// An independent stream for one purpose, derived from the fixed seed and a label.
    pub fn stream(label: &str) -> Rng {
        Rng { state: SEED ^ fnv1a(label.as_bytes()) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`); the modulo bias is negligible for the small `n` used here.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "empty range");
        self.next_u64() % n
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks an index by integer weights.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut roll = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        unreachable!("roll below the total weight")
    }
}

/// A stable 64-bit hash of a label (FNV-1a); also used to vary catalog rows by province.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01B3))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the same label gives the same stream, different labels different streams.
    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream("a").next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::stream("a").next_u64(), Rng::stream("b").next_u64());
    }
}

//! Fingerprints: what the search keeps of a state. 64 bits by default (TLC's size: the chance
//! that two of the states shared one is reported with every run, `collision`); 128 bits with
//! `kelp check --fingerprint-bits 128`, for runs where that chance is not small enough, at the
//! price of more memory per visited state and per liveness edge. Both are hashes with fixed
//! seeds, stable across runs and builds.

use std::fmt::Debug;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

fn seeded() -> ahash::RandomState {
    ahash::RandomState::with_seeds(0x6b656c70, 0x6b61666b61, 0x72657063, 0x656c6563)
}

/// A second, independent hash for the upper 64 bits of a 128-bit fingerprint.
fn seeded_high() -> ahash::RandomState {
    ahash::RandomState::with_seeds(0x31323862, 0x6974735f, 0x6869676b, 0x68616c66)
}

/// The 64-bit hash of `value`: the search's default fingerprint, and the order new states are
/// admitted in (so the committed counterexamples do not depend on the fingerprint size).
pub fn fingerprint<S: Hash + ?Sized>(value: &S) -> u64 {
    u64::of(value)
}

/// A fingerprint size. Sums of part fingerprints (incremental fingerprints of actor models) wrap.
pub trait Fingerprint: Copy + Eq + Ord + Hash + Debug + Default + Send + Sync + 'static {
    const BITS: u32;
    const ZERO: Self;
    type Hasher: Hasher;
    fn hasher() -> Self::Hasher;
    fn finish(hasher: Self::Hasher) -> Self;
    fn wrapping_add(self, other: Self) -> Self;
    fn wrapping_sub(self, other: Self) -> Self;
    /// 64 uniformly distributed bits of it, to place it in hash maps and shards.
    fn low64(self) -> u64;

    /// A fingerprint in memory that threads may read while one thread writes it (a slot of the
    /// visited set). Loads and stores are relaxed, and a 128-bit one is read and written a half
    /// at a time: whoever shares it orders them and keeps a half-written one from being read.
    type Atomic: Default + Send + Sync;
    fn load(cell: &Self::Atomic) -> Self;
    fn store(cell: &Self::Atomic, value: Self);

    fn of<T: Hash + ?Sized>(value: &T) -> Self {
        let mut hasher = Self::hasher();
        value.hash(&mut hasher);
        Self::finish(hasher)
    }
}

impl Fingerprint for u64 {
    const BITS: u32 = 64;
    const ZERO: Self = 0;
    type Hasher = ahash::AHasher;
    fn hasher() -> Self::Hasher {
        seeded().build_hasher()
    }
    fn finish(hasher: Self::Hasher) -> Self {
        hasher.finish()
    }
    fn wrapping_add(self, other: Self) -> Self {
        u64::wrapping_add(self, other)
    }
    fn wrapping_sub(self, other: Self) -> Self {
        u64::wrapping_sub(self, other)
    }
    fn low64(self) -> u64 {
        self
    }
    type Atomic = AtomicU64;
    fn load(cell: &AtomicU64) -> Self {
        cell.load(Relaxed)
    }
    fn store(cell: &AtomicU64, value: Self) {
        cell.store(value, Relaxed);
    }
}

/// Two independently seeded hashers fed the same writes.
pub struct PairHasher(ahash::AHasher, ahash::AHasher);

macro_rules! forward {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method(&mut self, n: $ty) {
            self.0.$method(n);
            self.1.$method(n);
        })*
    };
}

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }
    forward!(write_u8(u8), write_u16(u16), write_u32(u32), write_u64(u64), write_u128(u128), write_usize(usize));
}

impl Fingerprint for u128 {
    const BITS: u32 = 128;
    const ZERO: Self = 0;
    type Hasher = PairHasher;
    fn hasher() -> Self::Hasher {
        PairHasher(seeded().build_hasher(), seeded_high().build_hasher())
    }
    fn finish(hasher: Self::Hasher) -> Self {
        u128::from(hasher.0.finish()) | u128::from(hasher.1.finish()) << 64
    }
    fn wrapping_add(self, other: Self) -> Self {
        u128::wrapping_add(self, other)
    }
    fn wrapping_sub(self, other: Self) -> Self {
        u128::wrapping_sub(self, other)
    }
    fn low64(self) -> u64 {
        self as u64
    }
    type Atomic = [AtomicU64; 2];
    fn load([low, high]: &[AtomicU64; 2]) -> Self {
        u128::from(low.load(Relaxed)) | u128::from(high.load(Relaxed)) << 64
    }
    fn store([low, high]: &[AtomicU64; 2], value: Self) {
        low.store(value as u64, Relaxed);
        high.store((value >> 64) as u64, Relaxed);
    }
}

/// Fingerprints are already uniform hashes: maps keyed by them use them as they are.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only fingerprints are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_128_bit_fingerprint_extends_the_64_bit_one_with_an_independent_half() {
        let value = ("broker", 3u8, vec![1u32, 2, 3]);
        let wide = u128::of(&value);
        assert_eq!(wide as u64, u64::of(&value), "the low half is the 64-bit fingerprint");
        assert_eq!(u64::of(&value), fingerprint(&value));
        assert_ne!((wide >> 64) as u64, wide as u64);
        assert_ne!(u128::of(&("broker", 4u8, vec![1u32, 2, 3])), wide);
    }
}

//! Row identifiers.

use rand::Rng;

/// A fresh random positive 63-bit identifier. Maille's rows get random ids rather than
/// sequences, so that both backends behave the same and ids reveal nothing about how many
/// rows exist.
pub fn random_id() -> i64 {
    rand::thread_rng().gen_range(1..i64::MAX)
}

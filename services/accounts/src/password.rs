//! Password hashing (argon2id with OWASP's parameters) and the password policy.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AccountsError, Result};

/// OWASP's recommended argon2id parameters: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| AccountsError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password`. Slow by design: call it off the async executor.
pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountsError::Internal(format!("argon2 hashing: {e}")))
}

/// Checks `password` against a stored hash. Slow by design: call it off the executor.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    match argon2() {
        Ok(a) => a.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Runs password work (a [`hash`] or a [`verify`], each holding 19 MiB for a fraction of a
/// second) on the blocking pool, at most one per core at once: a burst of logins queues for
/// the cores instead of each holding its memory at the same time (50 logins in one second
/// would otherwise take about 1 GB together). The permit travels with the work, so a request
/// given up by its client still counts until its hashing ends.
pub async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static PERMITS: OnceLock<Arc<tokio::sync::Semaphore>> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Arc::new(tokio::sync::Semaphore::new(cores))
    });
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AccountsError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(permit);
        done
    })
    .await
    .map_err(|e| AccountsError::Internal(e.to_string()))
}

/// Spends the same time as [`verify`] against a real hash, for logins naming no account, so
/// that the answer's timing does not reveal whether an account exists.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy =
        DUMMY.get_or_init(|| hash("maille dummy password, never valid").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// Passwords too common to allow, whatever their length.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiopasdf",
    "azertyuiopqsdf",
    "passwordpassword",
    "motdepassemotdepasse",
    "password1234",
    "motdepasse123",
    "iloveyou1234",
    "000000000000",
    "111111111111",
    "aaaaaaaaaaaa",
    "qwerty123456",
    "azerty123456",
    "123456123456",
    "abcdefghijkl",
    "abcd12345678",
    "password123!",
    "Password1234",
    "Motdepasse123",
    "administrator",
    "admin1234567",
    "welcome12345",
    "bienvenue123",
    "letmein12345",
    "changeme1234",
    "0123456789ab",
    "soleil123456",
    "chocolat1234",
];

/// Checks a new password: 12 to 128 characters (OWASP ASVS 2.1.1 and 2.1.2), not a very
/// common one, and not the account's name or address.
pub fn check_policy(password: &str, username: &str, email: &str) -> Result<()> {
    let length = password.chars().count();
    if length < 12 {
        return Err(AccountsError::invalid(
            "password",
            "use at least 12 characters (a few words make a good password)",
        ));
    }
    if length > 128 {
        return Err(AccountsError::invalid(
            "password",
            "use at most 128 characters",
        ));
    }
    let lowered = password.to_lowercase();
    if COMMON.iter().any(|c| c.to_lowercase() == lowered)
        || password.chars().all(|c| password.starts_with(c))
    {
        return Err(AccountsError::invalid(
            "password",
            "this password is too common",
        ));
    }
    if lowered == username.to_lowercase() || lowered == email.to_lowercase() {
        return Err(AccountsError::invalid(
            "password",
            "the password must not be your name or address",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn password_work_runs_at_most_one_per_core_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                tokio::spawn(off_thread(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    // Real work, long enough for the others to try to overlap it.
                    let done = hash("correct horse battery staple").is_ok();
                    running.fetch_sub(1, Ordering::SeqCst);
                    done
                }))
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().unwrap());
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(
            peak >= 1 && peak <= cores,
            "{peak} at once on {cores} cores"
        );
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapler", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn policy_refuses_short_long_common_and_self_named_passwords() {
        assert!(check_policy("short", "ana", "ana@example.org").is_err());
        assert!(check_policy(&"x".repeat(129), "ana", "ana@example.org").is_err());
        assert!(check_policy("motdepasse123", "ana", "ana@example.org").is_err());
        assert!(check_policy("aaaaaaaaaaaaaaa", "ana", "ana@example.org").is_err());
        assert!(check_policy("ana@example.org", "ana", "ana@example.org").is_err());
        assert!(check_policy("un cheval de bataille", "ana", "ana@example.org").is_ok());
    }
}

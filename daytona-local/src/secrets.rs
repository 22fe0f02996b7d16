//! Secrets (the API key, the storage credentials) from the operating system's CSPRNG.

/// The characters of the API key's random part.
pub(crate) const API_KEY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A string of `len` characters from `alphabet` (at most 256 of them), each drawn
/// uniformly from the OS's CSPRNG (`getrandom`): bytes past the last whole multiple of
/// the alphabet's length are drawn again, so no character is more likely than another.
pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> Result<String, getrandom::Error> {
    let n = alphabet.len();
    debug_assert!((1..=256).contains(&n), "an alphabet of 1 to 256 characters");
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)?;
        for b in buf.iter().map(|&b| usize::from(b)).filter(|&b| b < limit) {
            if out.len() == len {
                break;
            }
            out.push(char::from(alphabet[b % n]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_use_the_alphabet_and_differ() {
        let a = random_string(40, API_KEY_ALPHABET).expect("random");
        let b = random_string(40, API_KEY_ALPHABET).expect("random");
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|c| API_KEY_ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
        assert_eq!(random_string(0, b"ab").expect("random"), "");
    }

    /// Every character of a 36-letter alphabet appears with about the same frequency (no
    /// modulo bias towards the first 256 % 36 = 4 letters).
    #[test]
    fn characters_are_uniform() {
        let s = random_string(360_000, API_KEY_ALPHABET).expect("random");
        for &c in API_KEY_ALPHABET {
            let count = s.bytes().filter(|&b| b == c).count();
            // Expected 10,000 each; 5 standard deviations (about 490) either side.
            assert!((9_500..=10_500).contains(&count), "{} appears {count} times", char::from(c));
        }
    }
}

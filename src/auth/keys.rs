//! The application's secret and what is derived from it: signatures of cookies
//! and CSRF tokens, random tokens, token hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::settings::Settings;

type HmacSha256 = Hmac<Sha256>;

/// Keys derived from `secret_key`.
#[derive(Clone)]
pub struct Keys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    /// Uses `secret_key`, or a key generated once and kept in `data_dir` (fine
    /// for one instance; a multi-instance deployment must set the same
    /// `secret_key` everywhere).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(key) = &settings.secret_key {
            return Ok(Self::new(key.expose().as_bytes()));
        }
        let path = settings.data_dir.join("secret_key");
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= 32
        {
            return Ok(Self::new(existing.trim().as_bytes()));
        }
        crate::private_fs::create_dir(&settings.data_dir)?;
        let key = random_token();
        write_private(&path, &key)?;
        tracing::warn!(path = %path.display(), "no secret_key set: generated one (set DOSSIERSCO_SECRET_KEY on multi-instance deployments)");
        Ok(Self::new(key.as_bytes()))
    }

    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any size");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(data);
        mac
    }

    /// A signature of `data` for `purpose`, URL-safe.
    pub fn sign(&self, purpose: &str, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, data).finalize().into_bytes())
    }

    /// Checks a signature in constant time.
    pub fn verify(&self, purpose: &str, data: &[u8], signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature) {
            Ok(bytes) => self.mac(purpose, data).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex: what the database stores instead of the token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_the_same_data_and_purpose() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let sig = keys.sign("csrf", b"visitor");
        assert!(keys.verify("csrf", b"visitor", &sig));
        assert!(!keys.verify("csrf", b"visitor2", &sig));
        assert!(!keys.verify("flash", b"visitor", &sig));
        assert!(!Keys::new(b"another key of thirty-two bytes!").verify("csrf", b"visitor", &sig));
        assert!(!keys.verify("csrf", b"visitor", "not base64 !"));
    }

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

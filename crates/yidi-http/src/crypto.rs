//! Secrets: the key file, sealing tokens with AES-256-GCM, token generation, signatures and the
//! fixed demo derivations.
//!
//! Tokens are encrypted, not hashed, because the hub recomputes every signature and so needs
//! the token itself (`protocol.md` §3.2). The key lives in its own file, outside the database
//! and its backups: a stolen database alone reveals no token.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Bytes of the AES-256 key.
pub const KEY_BYTES: usize = 32;
/// Bytes of randomness in a token; the token is their lowercase hex (64 characters).
pub const TOKEN_BYTES: usize = 32;
/// Characters of a token and of a signature (SHA-256 as hex).
pub const HEX_DIGEST_LEN: usize = 64;

/// First byte of a sealed token: the layout version, so a later layout (or `yidi secret-key
/// rotate`) can tell old seals from new.
const SEAL_VERSION: u8 = 1;
/// Bytes of the AES-GCM nonce, random per seal.
const SEAL_NONCE_BYTES: usize = 12;
/// Associated data prefix: the paasid is bound into every seal, so a sealed token copied onto
/// another facility's row fails to open instead of authenticating that facility.
const SEAL_AAD_PREFIX: &[u8] = b"yidi-token-v1\0";

/// Prefix of a demo facility token's preimage: token = hex SHA-256 of prefix + `fixmedins_code`.
pub const DEMO_FACILITY_PREFIX: &str = "yidi-demo:";
/// Prefix of a demo agency token's preimage: token = hex SHA-256 of prefix + `admdvs`.
pub const DEMO_AGENCY_PREFIX: &str = "yidi-demo-agency:";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("无法读取密钥文件 {path}：{reason}")]
    KeyRead { path: String, reason: String },
    #[error("无法创建密钥文件 {path}：{reason}")]
    KeyWrite { path: String, reason: String },
    #[error("密钥文件 {0} 格式不对：应为 64 位十六进制（32 字节）")]
    KeyFormat(String),
    #[error("系统随机数不可用：{0}")]
    Random(String),
    #[error("凭据无法用当前密钥解密（密钥文件不对，或数据被改动）")]
    Open,
}

/// The 32-byte key that seals tokens. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_BYTES]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> SecretKey {
        SecretKey(bytes)
    }

    /// A fresh random key.
    pub fn generate() -> Result<SecretKey, CryptoError> {
        let mut bytes = [0u8; KEY_BYTES];
        fill_random(&mut bytes)?;
        Ok(SecretKey(bytes))
    }

    /// Reads a key file: 64 hex digits, surrounding whitespace ignored.
    pub fn load(path: &Path) -> Result<SecretKey, CryptoError> {
        let shown = path.display().to_string();
        let text = fs::read_to_string(path)
            .map_err(|e| CryptoError::KeyRead { path: shown.clone(), reason: e.to_string() })?;
        let mut bytes = [0u8; KEY_BYTES];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| CryptoError::KeyFormat(shown))?;
        Ok(SecretKey(bytes))
    }

    /// Creates a key file with a fresh key, readable by its owner only (0600). Never overwrites:
    /// replacing a key would make every stored token unreadable.
    pub fn create(path: &Path) -> Result<SecretKey, CryptoError> {
        let key = SecretKey::generate()?;
        let fail = |e: std::io::Error| CryptoError::KeyWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(fail)?;
        file.write_all(format!("{}\n", hex::encode(key.0)).as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        Ok(key)
    }
}

/// Encrypts a token for storage: version ‖ nonce ‖ ciphertext with tag, bound to `paasid`.
pub fn seal_token(key: &SecretKey, paasid: &str, token: &str) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; SEAL_NONCE_BYTES];
    fill_random(&mut nonce)?;
    let aad = seal_aad(paasid);
    let cipher = Aes256Gcm::new(&key.0.into());
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: token.as_bytes(), aad: &aad })
        .map_err(|_| CryptoError::Random("AES-GCM".to_string()))?;
    let mut out = Vec::with_capacity(1 + SEAL_NONCE_BYTES + sealed.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts a stored token; fails on a wrong key, another paasid's seal or altered bytes.
pub fn open_token(key: &SecretKey, paasid: &str, sealed: &[u8]) -> Result<String, CryptoError> {
    let Some((&SEAL_VERSION, rest)) = sealed.split_first() else { return Err(CryptoError::Open) };
    if rest.len() < SEAL_NONCE_BYTES {
        return Err(CryptoError::Open);
    }
    let (nonce, ciphertext) = rest.split_at(SEAL_NONCE_BYTES);
    let aad = seal_aad(paasid);
    let cipher = Aes256Gcm::new(&key.0.into());
    let plain = cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
        .map_err(|_| CryptoError::Open)?;
    String::from_utf8(plain).map_err(|_| CryptoError::Open)
}

fn seal_aad(paasid: &str) -> Vec<u8> {
    [SEAL_AAD_PREFIX, paasid.as_bytes()].concat()
}

/// A new token: 32 bytes from the operating system's generator, as 64 lowercase hex digits.
pub fn new_token() -> Result<String, CryptoError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    fill_random(&mut bytes)?;
    Ok(hex::encode(bytes))
}

fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|e| CryptoError::Random(e.to_string()))
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256, raw.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The gateway signature (§3.1): hex SHA-256 of `timestamp + token + nonce + timestamp`.
pub fn signature(timestamp: &str, token: &str, nonce: &str) -> String {
    sha256_hex(format!("{timestamp}{token}{nonce}{timestamp}").as_bytes())
}

/// Compares a received hex signature with the expected lowercase one in constant time (for
/// equal lengths; lengths are not secret), ignoring the case of the received hex.
pub fn signature_matches(received: &str, expected: &str) -> bool {
    let received: Vec<u8> = received.bytes().map(|b| b.to_ascii_lowercase()).collect();
    received.len() == expected.len() && bool::from(received.as_slice().ct_eq(expected.as_bytes()))
}

/// The fixed demo token of a facility: hex SHA-256 of `"yidi-demo:" + fixmedins_code`. Anyone
/// can compute it, so it is accepted only by `yidi serve --demo`.
pub fn demo_facility_token(fixmedins_code: &str) -> String {
    sha256_hex(format!("{DEMO_FACILITY_PREFIX}{fixmedins_code}").as_bytes())
}

/// The fixed demo token of a pooling region's agency: hex SHA-256 of `"yidi-demo-agency:" +
/// admdvs`; like the facility ones, only valid with `--demo`.
pub fn demo_agency_token(admdvs: &str) -> String {
    sha256_hex(format!("{DEMO_AGENCY_PREFIX}{admdvs}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature of the worked example in `protocol.md` §7 is reproduced.
    #[test]
    fn signs_the_spec_example() {
        let token = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
        let expected = signature("1740879660", token, "7f3c9a2e41b04d6c");
        assert_eq!(expected, "a8986cd57ec26596e068fcf7db7de5e10bdb35ab64105a1c6270dcba8ec22711");
        assert!(signature_matches(&expected.to_ascii_uppercase(), &expected));
        assert!(!signature_matches(&expected[..63], &expected));
    }
}

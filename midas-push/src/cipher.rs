//! WeChat's message encryption: AES-256-CBC (IV = first 16 key bytes) over
//! `random(16) ‖ msg_len (u32 BE) ‖ msg ‖ appid`, padded PKCS#7-style to 32-byte blocks.

use aes::cipher::array::Array;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit, KeyIvInit};
use aes::{Aes256, Aes256Dec};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::DecryptError;
use crate::secret::EncodingAesKey;

/// The padding block of WeChat's PKCS#7: 32 bytes, twice the AES block.
const PAD_BLOCK: usize = 32;
/// `random(16) ‖ msg_len(4)`.
const HEADER: usize = 20;

/// The encryption of one app: its EncodingAESKey and AppID.
///
/// ```
/// use midas_push::{EncodingAesKey, PushCipher};
/// let key = EncodingAesKey::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")?;
/// let cipher = PushCipher::new(&key, "wxb11529c136998cb6");
/// let encrypt = cipher.encrypt(*b"aaaabbbbccccdddd", "我是中文abcd123");
/// assert_eq!(encrypt, "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==");
/// assert_eq!(cipher.decrypt(&encrypt)?.message, "我是中文abcd123");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PushCipher<'a> {
    key: &'a EncodingAesKey,
    app_id: &'a str,
}

impl core::fmt::Debug for PushCipher<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PushCipher").field("key", &self.key).field("app_id", &self.app_id).finish()
    }
}

/// A decrypted `Encrypt` value whose trailing AppID matched.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decrypted {
    /// The 16 random bytes that prefix the plaintext.
    pub random: [u8; 16],
    /// The message text (`msg_len` UTF-8 bytes).
    pub message: String,
}

/// Why [`PushCipher::decrypt`] refused: the value did not open, or it is for another AppID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The ciphertext, its padding or its framing is broken.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// The trailing AppID is not the expected one.
    #[error("the message is for another AppID")]
    AppIdMismatch,
}

impl<'a> PushCipher<'a> {
    /// The cipher of the app `app_id` with key `key`.
    pub fn new(key: &'a EncodingAesKey, app_id: &'a str) -> Self {
        Self { key, app_id }
    }

    /// The IV is the first half of the key, so it is wiped like the key.
    fn iv(&self) -> Zeroizing<[u8; 16]> {
        let mut iv = Zeroizing::new([0u8; 16]);
        iv.copy_from_slice(&self.key.expose_secret()[..16]);
        iv
    }

    /// Encrypts `message` with the given 16 random bytes into base64 `Encrypt` text.
    ///
    /// The random bytes must come from a CSPRNG (the sealer and the replies use the operating
    /// system's); they are a parameter so that vectors can be reproduced.
    pub fn encrypt(&self, random: [u8; 16], message: &str) -> String {
        let unpadded = HEADER + message.len() + self.app_id.len();
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buf = Vec::with_capacity(unpadded + pad);
        buf.extend_from_slice(&random);
        // A message over 4 GiB is not a push; the length saturates and the receiver refuses it.
        buf.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
        buf.extend_from_slice(message.as_bytes());
        buf.extend_from_slice(self.app_id.as_bytes());
        // `pad` is in 1..=32, so it fits a byte.
        buf.resize(unpadded + pad, pad as u8);
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        let iv = self.iv();
        let mut cipher = cbc::Encryptor::<Aes256>::new(self.key.expose_secret().into(), (&*iv).into());
        cipher.encrypt_blocks(blocks);
        STANDARD.encode(&buf)
    }

    /// Decrypts `Encrypt` text, checks the 32-byte padding, the length and the trailing AppID.
    ///
    /// Authenticate the request (`msg_signature`) before calling this: CBC alone does not
    /// detect tampering.
    pub fn decrypt(&self, encrypt: &str) -> Result<Decrypted, OpenError> {
        DecryptKey::new(self.key).decrypt(encrypt, self.app_id)
    }
}

/// The decryption key schedule of an EncodingAESKey and its IV, derived once (an
/// [`Opener`](crate::Opener) keeps one for all its pushes). Both are secret: they are not
/// printable and are wiped on drop.
pub(crate) struct DecryptKey {
    aes: Aes256Dec,
    iv: Zeroizing<[u8; 16]>,
}

impl core::fmt::Debug for DecryptKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DecryptKey { .. }")
    }
}

impl DecryptKey {
    pub(crate) fn new(key: &EncodingAesKey) -> Self {
        let secret = key.expose_secret();
        let mut iv = Zeroizing::new([0u8; 16]);
        // The IV is the first half of the key.
        iv.copy_from_slice(&secret[..16]);
        Self { aes: Aes256Dec::new(secret.into()), iv }
    }

    /// [`PushCipher::decrypt`] with this key, for the app `app_id`.
    pub(crate) fn decrypt(&self, encrypt: &str, app_id: &str) -> Result<Decrypted, OpenError> {
        let mut buf = Zeroizing::new(STANDARD.decode(encrypt).map_err(|_| DecryptError::Base64)?);
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(DecryptError::BlockLength.into());
        }
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf[..]);
        // The copy of the key schedule is wiped when the decryptor drops.
        let mut cipher = cbc::Decryptor::<Aes256Dec>::inner_iv_init(self.aes.clone(), (&*self.iv).into());
        cipher.decrypt_blocks(blocks);
        drop(cipher);
        let plain = strip_padding(&buf)?;
        if plain.len() < HEADER {
            return Err(DecryptError::Length.into());
        }
        let mut random = [0u8; 16];
        random.copy_from_slice(&plain[..16]);
        let msg_len = u32::from_be_bytes([plain[16], plain[17], plain[18], plain[19]]);
        let end = usize::try_from(msg_len)
            .ok()
            .and_then(|len| HEADER.checked_add(len))
            .filter(|end| *end <= plain.len())
            .ok_or(DecryptError::Length)?;
        let trailing = &plain[end..];
        if trailing.len() != app_id.len() || !bool::from(trailing.ct_eq(app_id.as_bytes())) {
            return Err(OpenError::AppIdMismatch);
        }
        // The message becomes the text in place: moved over the header, everything after it
        // (header leftovers, AppID, padding) wiped before the buffer leaves the wrapper.
        buf.copy_within(HEADER..end, 0);
        let len = end - HEADER;
        buf[len..].zeroize();
        buf.truncate(len);
        let message = String::from_utf8(core::mem::take(&mut *buf)).map_err(|err| {
            err.into_bytes().zeroize();
            DecryptError::Utf8
        })?;
        Ok(Decrypted { random, message })
    }
}

/// Strips WeChat's PKCS#7 padding: last byte `n` in 1..=32 and the last `n` bytes all `n`.
fn strip_padding(buf: &[u8]) -> Result<&[u8], DecryptError> {
    let pad = usize::from(*buf.last().ok_or(DecryptError::Padding)?);
    if !(1..=PAD_BLOCK).contains(&pad) || pad > buf.len() {
        return Err(DecryptError::Padding);
    }
    let (plain, padding) = buf.split_at(buf.len() - pad);
    if padding.iter().any(|b| usize::from(*b) != pad) {
        return Err(DecryptError::Padding);
    }
    Ok(plain)
}

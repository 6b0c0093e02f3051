//! Shared fixtures: the configurations of the official vectors, a counting handler, and raw
//! encryption to build ciphertexts the sealer would never produce.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aes::Aes256;
use aes::cipher::array::Array;
use aes::cipher::{BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use midas_push::{
    Answer, HandlerError, ManualClock, MemoryInbox, Mode, Opener, Push, PushConfig, PushConfigBuilder,
    Receiver, Seal, sign,
};

pub(crate) const TOKEN: &str = "AAAAA";
pub(crate) const AES_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
pub(crate) const APP_ID: &str = "wxba5fad812f8e6fb9";
pub(crate) const PRODUCTION_KEY: &str = "production-app-key-0001";
pub(crate) const SANDBOX_KEY: &str = "sandbox-app-key-0002";
pub(crate) const NOW: i64 = 1_714_112_445;

pub(crate) fn builder(mode: Mode) -> PushConfigBuilder {
    PushConfig::builder()
        .token(TOKEN)
        .encoding_aes_key(AES_KEY)
        .app_id(APP_ID)
        .mode(mode)
        .app_key_production(PRODUCTION_KEY)
        .app_key_sandbox(SANDBOX_KEY)
}

pub(crate) fn config(mode: Mode) -> PushConfig {
    builder(mode).build().expect("valid test configuration")
}

pub(crate) fn opener(config: PushConfig) -> Opener {
    Opener::new(config).with_clock(ManualClock::new(NOW))
}

pub(crate) fn seal(config: &PushConfig, message: &str, nonce: &str) -> (String, Vec<u8>) {
    let sealed = Seal::new(message, NOW, nonce).seal(config).expect("seals");
    (sealed.query, sealed.body)
}

/// A handler that counts its calls and answers success.
#[derive(Clone, Default)]
pub(crate) struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub(crate) fn calls(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn handler(
        &self,
    ) -> impl Fn(Push) -> std::future::Ready<Result<Answer, HandlerError>> + Send + Sync + use<> {
        let calls = self.0.clone();
        move |_push| {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(Answer::Success))
        }
    }
}

pub(crate) type CountingReceiver = Receiver<
    Box<dyn Fn(Push) -> std::future::Ready<Result<Answer, HandlerError>> + Send + Sync>,
    MemoryInbox,
>;

pub(crate) fn counting_receiver(config: PushConfig) -> (CountingReceiver, Counter) {
    let counter = Counter::default();
    let handler: Box<dyn Fn(Push) -> std::future::Ready<Result<Answer, HandlerError>> + Send + Sync> =
        Box::new(counter.handler());
    (Receiver::new(opener(config), handler, MemoryInbox::new()), counter)
}

/// The mini-game wrapper of `payload`, signed with `key` for `event`.
pub(crate) fn mini_game_message(event: &str, payload: &str, key: &str, is_mock: bool) -> String {
    let key = midas_core::AppKey::new(key).expect("key");
    let sig = sign::pay_event_sig(&key, event, payload);
    serde_json::json!({
        "ToUserName": "gh_97417a04a28d",
        "FromUserName": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "CreateTime": NOW,
        "MsgType": "event",
        "Event": event,
        "MiniGame": {"Payload": payload, "PayEventSig": sig, "IsMock": is_mock},
    })
    .to_string()
}

/// AES-256-CBC of `plain` (already a whole number of blocks) with the vectors' key.
pub(crate) fn raw_encrypt(plain: &[u8]) -> String {
    assert_eq!(plain.len() % 16, 0, "whole blocks");
    let key = [0u8; 32]; // 43 × 'A' decodes to 32 zero bytes.
    let iv = [0u8; 16];
    let mut buf = plain.to_vec();
    let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
    cbc::Encryptor::<Aes256>::new((&key).into(), (&iv).into()).encrypt_blocks(blocks);
    STANDARD.encode(&buf)
}

/// `random ‖ msg_len ‖ msg ‖ appid ‖ padding` with every part chosen by the caller.
pub(crate) fn frame(msg_len: u32, msg: &[u8], app_id: &[u8], padding: &[u8]) -> Vec<u8> {
    let mut plain = b"0123456789abcdef".to_vec();
    plain.extend_from_slice(&msg_len.to_be_bytes());
    plain.extend_from_slice(msg);
    plain.extend_from_slice(app_id);
    plain.extend_from_slice(padding);
    plain
}

/// A correct 32-byte PKCS#7 padding for `len` bytes.
pub(crate) fn pad_for(len: usize) -> Vec<u8> {
    let pad = 32 - len % 32;
    vec![u8::try_from(pad).expect("pad fits"); pad]
}

/// The query and body of an encrypted push carrying `encrypt`, correctly signed.
pub(crate) fn encrypted_push(encrypt: &str, timestamp: i64, nonce: &str) -> (String, Vec<u8>) {
    let token = midas_push::Token::new(TOKEN).expect("token");
    let ts = timestamp.to_string();
    let query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={}",
        sign::signature(&token, &ts, nonce),
        sign::msg_signature(&token, &ts, nonce, encrypt)
    );
    let body = serde_json::json!({"ToUserName": "gh_97417a04a28d", "Encrypt": encrypt}).to_string();
    (query, body.into_bytes())
}

/// The query of a plaintext push, correctly signed.
pub(crate) fn plain_query(timestamp: i64, nonce: &str) -> String {
    let token = midas_push::Token::new(TOKEN).expect("token");
    let ts = timestamp.to_string();
    format!("signature={}&timestamp={ts}&nonce={nonce}", sign::signature(&token, &ts, nonce))
}

/// A goods delivery message of the xpay family.
pub(crate) fn goods_delivery(out_trade_no: &str) -> String {
    serde_json::json!({
        "ToUserName": "gh_97417a04a28d",
        "FromUserName": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "CreateTime": NOW,
        "MsgType": "event",
        "Event": "xpay_goods_deliver_notify",
        "OpenId": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "OutTradeNo": out_trade_no,
        "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "mch-1", "TransactionId": "tx-1", "PaidTime": 1714112400},
        "GoodsInfo": {"ProductId": "sword", "Quantity": 2, "OrigPrice": 600, "ActualPrice": 500, "Attach": "a"},
    })
    .to_string()
}

//! Opening a typical safe-mode push (verify + decrypt + parse) against its floor: the same
//! SHA-1 and AES-256-CBC work done bare on the same bytes.

use std::hint::black_box;

use aes::Aes256;
use aes::cipher::array::Array;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::Criterion;
use midas_push::{ManualClock, Mode, Opener, PushConfig, PushQuery, Seal};
use sha1::{Digest, Sha1};

const NOW: i64 = 1_714_112_445;

fn message() -> String {
    serde_json::json!({
        "ToUserName": "gh_97417a04a28d",
        "FromUserName": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "CreateTime": NOW,
        "MsgType": "event",
        "Event": "xpay_goods_deliver_notify",
        "OpenId": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "OutTradeNo": "order-20240426-0001",
        "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "4200002156202404260001", "TransactionId": "4200002156202404261234567890", "PaidTime": 1714112400},
        "GoodsInfo": {"ProductId": "sword_of_dawn", "Quantity": 1, "OrigPrice": 600, "ActualPrice": 600, "Attach": "zone=1"},
    })
    .to_string()
}

fn open(c: &mut Criterion) {
    let config = PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id("wxba5fad812f8e6fb9")
        .mode(Mode::Safe)
        // The same push is opened again and again: the replay memory would refuse the repeats.
        .replay_capacity(None)
        .build()
        .expect("valid configuration");
    let message = message();
    let sealed = Seal::new(&message, NOW, "415670741").seal(&config).expect("seals");
    let opener = Opener::new(config).with_clock(ManualClock::new(NOW));
    assert_eq!(opener.open_raw(&sealed.query, &sealed.body).expect("opens").message(), message);

    let query = PushQuery::parse(&sealed.query).expect("query");
    let body: serde_json::Value = serde_json::from_slice(&sealed.body).expect("json");
    let encrypt = body["Encrypt"].as_str().expect("Encrypt").to_owned();
    let ciphertext = STANDARD.decode(&encrypt).expect("base64");
    let (timestamp, nonce) =
        (query.timestamp().expect("ts").to_owned(), query.nonce().expect("nonce").to_owned());

    let mut group = c.benchmark_group("safe_push");
    group.bench_function("open", |b| {
        b.iter(|| opener.open_raw(black_box(&sealed.query), black_box(&sealed.body)).expect("opens"))
    });
    group.bench_function("floor_sha1_aes", |b| {
        b.iter(|| {
            let mut parts = [&b"AAAAA"[..], timestamp.as_bytes(), nonce.as_bytes(), encrypt.as_bytes()];
            parts.sort_unstable();
            let mut hasher = Sha1::new();
            for part in black_box(&parts) {
                hasher.update(part);
            }
            let digest = hasher.finalize();
            let mut buf = black_box(&ciphertext).clone();
            let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
            let key = [0u8; 32];
            let iv = [0u8; 16];
            cbc::Decryptor::<Aes256>::new((&key).into(), (&iv).into()).decrypt_blocks(blocks);
            (digest, buf)
        })
    });
    // Where the rest goes: the decryption alone (base64, AES, frame checks, with the key
    // schedule derived per call as `PushCipher` does; the opener derives it once) and the
    // parse of the decrypted message into a map alone (what `Push::fields` does on demand).
    let key = midas_push::EncodingAesKey::new("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("key");
    let cipher = midas_push::PushCipher::new(&key, "wxba5fad812f8e6fb9");
    group.bench_function("part_decrypt", |b| {
        b.iter(|| cipher.decrypt(black_box(&encrypt)).expect("decrypts"))
    });
    // The stages open now runs, each alone on the same bytes: the base64 decode of `Encrypt`,
    // the reading of `Encrypt` from the body, and the typed decode of the decrypted message.
    group.bench_function("part_base64", |b| b.iter(|| STANDARD.decode(black_box(&encrypt)).expect("base64")));
    assert_eq!(midas_push::__bench::outer_encrypt(&sealed.body).expect("Encrypt"), encrypt);
    group.bench_function("part_outer", |b| {
        b.iter(|| midas_push::__bench::outer_encrypt(black_box(&sealed.body)).expect("Encrypt"))
    });
    assert!(matches!(
        midas_push::__bench::typed(&message).expect("decodes"),
        midas_push::Event::XpayGoodsDeliver(_)
    ));
    group.bench_function("part_typed", |b| {
        b.iter(|| midas_push::__bench::typed(black_box(&message)).expect("decodes"))
    });
    group.bench_function("part_parse_message", |b| {
        b.iter(|| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(black_box(&message))
                .expect("json")
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    open(&mut criterion);
    criterion.final_summary();
}

//! Secrets never show: not in Debug, not in errors, not in replies.

use midas_push::{ConfigError, EncodingAesKey, MemoryInbox, Mode, Opener, PushConfig, Receiver, Token};

use crate::support::{AES_KEY, PRODUCTION_KEY, SANDBOX_KEY, TOKEN, config, counting_receiver, seal};

const SECRET_TOKEN: &str = "SecretToken987";
const SECRET_AES: &str = "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg";

fn assert_hidden(text: &str) {
    for secret in [SECRET_TOKEN, SECRET_AES, TOKEN, AES_KEY, PRODUCTION_KEY, SANDBOX_KEY, "AAAAAAAA"] {
        assert!(!text.contains(secret), "{secret} shows in {text}");
    }
}

#[test]
fn secret_types_print_stars() {
    assert_eq!(format!("{:?}", Token::new(SECRET_TOKEN).expect("token")), "Token(***)");
    assert_eq!(format!("{:?}", EncodingAesKey::new(SECRET_AES).expect("key")), "EncodingAesKey(***)");
}

#[test]
fn configuration_and_receiver_debug_show_no_secret() {
    let config = config(Mode::Safe);
    assert_hidden(&format!("{config:?}"));
    assert_hidden(&format!("{:#?}", crate::support::builder(Mode::Safe)));
    let opener = Opener::new(config.clone());
    assert_hidden(&format!("{opener:?}"));
    let receiver = Receiver::new(opener, crate::support::Counter::default().handler(), MemoryInbox::new());
    assert_hidden(&format!("{:?}", receiver.opener()));
    let key = config.encoding_aes_key().expect("key");
    assert_hidden(&format!("{:?}", midas_push::PushCipher::new(key, "wx1")));
}

#[test]
fn refused_configuration_values_are_not_echoed() {
    let bad_token = "bad token with spaces and SecretToken987";
    let bad_key = "SecretToken987SecretToken987";
    let errors = [
        PushConfig::builder().token(bad_token).app_id("wx1").build().expect_err("bad token"),
        PushConfig::builder()
            .token(TOKEN)
            .encoding_aes_key(bad_key)
            .app_id("wx1")
            .build()
            .expect_err("bad key"),
        PushConfig::builder()
            .token(TOKEN)
            .encoding_aes_key(format!("{}!", &SECRET_AES[..42]))
            .app_id("wx1")
            .build()
            .expect_err("bad char"),
        PushConfig::builder()
            .token(TOKEN)
            .app_id("wx1")
            .app_key_production("")
            .build()
            .expect_err("empty key"),
    ];
    assert_eq!(errors[0], ConfigError::Token);
    assert_eq!(errors[1], ConfigError::EncodingAesKey);
    assert_eq!(errors[2], ConfigError::EncodingAesKey);
    assert!(matches!(errors[3], ConfigError::AppKey(_)));
    for err in &errors {
        assert_hidden(&err.to_string());
        assert_hidden(&format!("{err:?}"));
    }
}

#[test]
fn the_builder_checks_every_value() {
    assert_eq!(
        PushConfig::builder().app_id("wx1").build().expect_err("no token"),
        ConfigError::Missing("token")
    );
    assert_eq!(
        PushConfig::builder().token(TOKEN).build().expect_err("no app id"),
        ConfigError::Missing("app_id")
    );
    assert_eq!(
        PushConfig::builder().token(TOKEN).app_id("wx 1").build().expect_err("space"),
        ConfigError::AppId
    );
    assert_eq!(
        PushConfig::builder().token(TOKEN).app_id("wx1").mode(Mode::Safe).build().expect_err("no key"),
        ConfigError::MissingAesKey(Mode::Safe)
    );
    assert_eq!(
        PushConfig::builder().token("ab").app_id("wx1").build().expect_err("short"),
        ConfigError::Token
    );
    assert_eq!(
        PushConfig::builder().token("a".repeat(33)).app_id("wx1").build().expect_err("long"),
        ConfigError::Token
    );
    assert!(EncodingAesKey::new("A".repeat(44)).is_err());
    assert!(EncodingAesKey::new("A".repeat(42)).is_err());
    let plain = PushConfig::builder().token(TOKEN).app_id("wx1").build().expect("valid");
    assert_eq!(plain.mode(), Mode::Plaintext);
}

#[tokio::test]
async fn refusals_and_replies_show_no_secret() {
    let config = config(Mode::Safe);
    let (query, body) = seal(&config, &crate::support::goods_delivery("o"), "1");
    let (receiver, _) = counting_receiver(config);
    let forged = query.replace("msg_signature=", "msg_signature=0");
    let refused = receiver.receive(&forged, &body).await.expect_err("refused");
    assert_hidden(&refused.to_string());
    assert_hidden(&format!("{refused:?}"));
    assert_hidden(refused.reply().body());
    let reply = receiver.receive(&query, &body).await.expect("handled");
    assert_hidden(reply.body());
}

//! Properties: what is sealed opens to the same message in every mode and format; no input
//! makes the opener panic.

use midas_push::{EncodingAesKey, Format, Mode, PushCipher, Seal};
use proptest::prelude::*;

use crate::support::{NOW, config, opener};

fn json_message(fields: &[(String, String)]) -> String {
    let mut object = serde_json::Map::new();
    object.insert("MsgType".into(), "event".into());
    for (name, value) in fields {
        object.insert(format!("F{name}"), value.clone().into());
    }
    serde_json::Value::Object(object).to_string()
}

fn xml_message(fields: &[(String, String)]) -> String {
    let mut xml = String::from("<xml><MsgType><![CDATA[event]]></MsgType>");
    for (index, (_, value)) in fields.iter().enumerate() {
        let value = value.replace("]]>", "]]]]><![CDATA[>");
        xml.push_str(&format!("<F{index}><![CDATA[{value}]]></F{index}>"));
    }
    xml.push_str("</xml>");
    xml
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_then_open_gives_the_message_back(
        fields in proptest::collection::vec(("[a-z]{1,8}", any::<String>()), 0..8),
        nonce in "[0-9A-Za-z]{1,16}",
        skew in -300i64..=300,
        random in any::<[u8; 16]>(),
        xml in any::<bool>(),
        mode in prop_oneof![Just(Mode::Plaintext), Just(Mode::Compatible), Just(Mode::Safe)],
    ) {
        let message = if xml { xml_message(&fields) } else { json_message(&fields) };
        let config = config(mode);
        let sealed = Seal::new(&message, NOW + skew, &nonce).random(random).seal(&config).expect("seals");
        let push = opener(config).open_raw(&sealed.query, &sealed.body).expect("opens");
        prop_assert_eq!(push.message(), message.as_str());
        prop_assert_eq!(push.format(), if xml { Format::Xml } else { Format::Json });
        prop_assert_eq!(push.was_encrypted(), mode != Mode::Plaintext);
        prop_assert_eq!(push.timestamp(), NOW + skew);
        if xml {
            for (index, (_, value)) in fields.iter().enumerate() {
                prop_assert_eq!(&push.fields()[&format!("F{index}")], &serde_json::Value::String(value.clone()));
            }
        }
    }

    #[test]
    fn safe_mode_carries_any_text_in_either_envelope(message in any::<String>(), xml in any::<bool>()) {
        // Not a JSON or XML message: the envelope opens, the message is refused as malformed, never a panic.
        let config = config(Mode::Safe);
        let format = if xml { Format::Xml } else { Format::Json };
        let sealed = Seal::new(&message, NOW, "1").format(format).seal(&config).expect("seals");
        match opener(config).open_raw(&sealed.query, &sealed.body) {
            Ok(push) => prop_assert_eq!(push.message(), message.as_str()),
            Err(err) => prop_assert!(matches!(err, midas_push::PushError::Malformed(_)), "{err:?}"),
        }
    }

    #[test]
    fn the_cipher_round_trips(message in any::<String>(), app_id in "[a-z0-9]{1,32}", random in any::<[u8; 16]>()) {
        let key = EncodingAesKey::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").expect("key");
        let cipher = PushCipher::new(&key, &app_id);
        let decrypted = cipher.decrypt(&cipher.encrypt(random, &message)).expect("decrypts");
        prop_assert_eq!(decrypted.message, message);
        prop_assert_eq!(decrypted.random, random);
    }

    #[test]
    fn arbitrary_requests_never_panic(query in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..512)) {
        for mode in [Mode::Plaintext, Mode::Compatible, Mode::Safe] {
            let _ = opener(config(mode)).open_raw(&query, &body);
        }
    }

    #[test]
    fn arbitrary_ciphertexts_are_refused_not_panicked(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        use base64::Engine as _;
        let encrypt = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let (query, body) = crate::support::encrypted_push(&encrypt, NOW, "1");
        let _ = opener(config(Mode::Safe)).open_raw(&query, &body);
    }
}

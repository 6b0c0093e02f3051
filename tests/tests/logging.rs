//! What the client logs through `tracing`: each request's URL with `access_token=***`, each
//! failed attempt with its error and decision — and never a secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use midas_api::{Client, Env, Present};
use midas_tests::{Reply, RotatingToken, SANDBOX_KEY, ScriptedTransport, test_config, test_player};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_show_what_happened_and_never_a_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let transport = Arc::new(ScriptedTransport::new([
        Reply::errcode(42001, "access_token expired"),
        Reply::errcode(-1, "system busy"),
        Reply::errcode(90011, "sig error"),
    ]));
    let client =
        Client::with_transport(test_config(Env::Sandbox), Arc::new(RotatingToken::default()), transport);
    let err = client
        .present(&test_player(), Present { bill_no: "gift-1".into(), present_counts: 1 })
        .await
        .unwrap_err();
    assert_eq!(err.as_api().map(|api| api.errcode()), Some(90011));

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8 logs");
    assert_eq!(logs.matches("midas request").count(), 3, "{logs}");
    assert!(logs.contains("/cgi-bin/midas/sandbox/present?access_token=***"), "{logs}");
    assert!(logs.contains("RefreshToken") && logs.contains("Retry") && logs.contains("Stop"), "{logs}");
    assert!(logs.contains("secret=***"), "the sig rejection's masked string is logged: {logs}");
    for secret in ["token-1", "token-2", SANDBOX_KEY, "V7Q38/i2KXaqrQyl2Yx9Hg=="] {
        assert!(!logs.contains(secret), "`{secret}` leaked into the logs:\n{logs}");
    }
}

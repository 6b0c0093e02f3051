//! Any status and bytes as a token endpoint's answer, read by both token sources and cached:
//! a token or a typed error, never a panic (an `expires_in` of 2^63 s once overflowed the
//! clock), and a token handed out is the one in the answer and is handed out again.
//!
//! Input: two bytes of HTTP status (big-endian), then the body.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use midas_api::{
    AccessToken, AppCredentials, AppSecret, ClassicTokenSource, HttpRequest, HttpResponse, StableTokenSource,
    TokenSource, Transport, TransportError,
};

/// Answers every request with the same status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Transport for Answer {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse { status: self.status, body: self.body.clone() })
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime")
    })
}

/// The access token the body names, when it is a JSON object with a string `access_token`.
fn named_token(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("access_token")?.as_str().map(str::to_owned)
}

async fn check(tokens: &impl TokenSource, status: u16, body: &[u8]) {
    let Ok(token) = tokens.token().await else { return };
    assert!((200..300).contains(&status), "a token from HTTP status {status}");
    assert_eq!(Some(token.expose_secret().to_owned()), named_token(body));
    let again = tokens.token().await.expect("the same answer gives the same token");
    assert_eq!(again, token);
    let _: Result<AccessToken, _> = tokens.refresh(&token).await;
}

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_first_chunk::<2>() else { return };
    let status = u16::from_be_bytes(*status);
    let app = || AppCredentials::new("wx1234567", AppSecret::new("fuzz-app-secret").expect("not empty"));
    runtime().block_on(async {
        let answer = || Answer { status, body: body.to_vec() };
        check(&StableTokenSource::new(app(), answer()), status, body).await;
        check(&ClassicTokenSource::new(app(), answer()), status, body).await;
    });
});

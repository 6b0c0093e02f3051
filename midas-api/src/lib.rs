//! Typed, signed clients for the WeChat Mini Game **Midas** virtual-currency APIs.
//!
//! One attribute declares an endpoint: [`midas_api`](macro@midas_api) on a request struct generates the signing
//! order (merged with the common envelope and sorted at compile time), the JSON body, the
//! production and sandbox paths, and the field validation. The [`Client`] sends it.
//!
//! ```no_run
//! use midas_api::{AccessToken, AppKey, Client, Config, Env, Player, Present, SessionKey, StaticToken};
//!
//! # async fn run() -> Result<(), midas_api::Error> {
//! let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
//!     .sandbox_key(AppKey::new("sandbox-app-key")?)
//!     .build()?;
//! let client = Client::new(config, StaticToken::new(AccessToken::new("ACCESS_TOKEN")?))?;
//! let player = Player::new("odkx20ENSNa2w5y3g_qOkOvBNM1g")
//!     .with_session_key(SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==")?);
//! let gift = client
//!     .present(&player, Present { bill_no: "gift-2026-0001".into(), present_counts: 10 })
//!     .await?;
//! println!("balance is now {}", gift.balance);
//! # Ok(()) }
//! ```
//!
//! Declaring a new endpoint is one struct:
//!
//! ```
//! use midas_api::midas_api;
//!
//! #[derive(Debug, serde::Deserialize)]
//! pub struct PresentResponse { pub balance: i64, pub bill_no: String }
//!
//! #[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
//! pub struct Present {
//!     #[midas(bill_no)]
//!     pub bill_no: String,
//!     #[midas(positive)]
//!     pub present_counts: i64,
//! }
//!
//! use midas_api::MidasRequest;
//! assert_eq!(Present::SANDBOX_PATH, "/cgi-bin/midas/sandbox/present");
//! ```

// The generated code names `::midas_api::__private`, also when it expands inside this crate.
extern crate self as midas_api;

mod auth;
mod checks;
mod client;
mod clock;
mod config;
pub mod endpoints;
mod generations;
mod player;
mod retry;
mod token;
#[cfg(feature = "reqwest")]
mod transport_reqwest;
pub mod v2;
pub mod xpay;

pub use auth::{AppCredentials, ClassicTokenSource, Session, Sessions, StableTokenSource};
pub use client::Client;
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{Config, ConfigBuilder, DEFAULT_BASE_URL};
pub use endpoints::{
    CancelPay, CancelPayResponse, GetBalance, GetBalanceResponse, Pay, PayResponse, Present, PresentResponse,
};
pub use generations::{GameV2, Xpay};
pub use midas_core::{
    AccessToken, ApiError, ApiErrorKind, ApiUrl, AppKey, AppSecret, BodyEnvelope, BodySignInput,
    BodySignedRequest, DecodeError, Env, Envelope, Error, Hex64, HttpRequest, HttpResponse, MaskedSigned,
    Method, MidasRequest, Prepared, PreparedBody, Rule, Scheme, SessionKey, SignInput, TokenError, Transport,
    TransportError, TransportErrorKind, ValidationError, body_signed, prepare, prepare_body, sign, verify,
};
pub use midas_derive::midas_api;
pub use player::Player;
pub use retry::RetryPolicy;
pub use token::{StaticToken, TokenSource};
#[cfg(feature = "reqwest")]
pub use transport_reqwest::ReqwestTransport;

/// What the generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use midas_core::{
        BodySignedRequest, Envelope, JsonObject, MidasRequest, MpExtra, Params, Scheme, SignSink,
        ValidationError, rules,
    };
}

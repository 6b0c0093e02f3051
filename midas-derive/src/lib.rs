//! `#[midas_api]`: one attribute on a request struct declares a whole Midas endpoint.
//!
//! Use it through `midas-api`, which re-exports it and documents the generated code:
//!
//! ```text
//! #[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
//! pub struct Present {
//!     #[midas(bill_no)]
//!     pub bill_no: String,
//!     #[midas(positive)]
//!     pub present_counts: i64,
//! }
//! ```
//!
//! The crate works in stages: `attr.rs` parses what a user can write, `ast.rs` turns the
//! struct into our model, `valid.rs` checks the rules, and `expand.rs` writes the tokens.

mod ast;
mod attr;
mod errors;
mod expand;
mod response;
mod scheme;
mod valid;

use proc_macro::TokenStream;

/// Declares a Midas endpoint on a request struct.
///
/// Keys: `path = ".."` (required), `response = Type` (required), `scheme = "v1"` (Midas 1.0,
/// the default), `"v2"` (Midas 2.0, `/wxa/game/*`) or `"xpay"` (`/xpay/*`).
/// Midas 1.0 only: `sandbox_path = ".."` (defaults to `sandbox/` inserted after
/// `/cgi-bin/midas/`). Body-signed schemes only: `user_signature = bool` (whether the
/// player's `signature` is required; default true for `v2`, false for `xpay`) and
/// `openid = bool` (whether the body carries the player's openid; default true) and
/// `require_user_ip = bool` (whether the API documents the player's `user_ip` as required, so a
/// player without one is refused before sending; default false).
/// Field attributes: `#[midas(rename = "wire_name")]`, `#[midas(bill_no)]`,
/// `#[midas(key)]` (the idempotency key, when there are several bill numbers),
/// `#[midas(non_zero)]`, `#[midas(positive)]`.
#[proc_macro_attribute]
pub fn midas_api(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::midas_api(args.into(), input.into()).into()
}

/// Derives the deserialization of an endpoint's success response through the serde that
/// `midas-api` re-exports: a service declares endpoints and responses with `midas-api` as its
/// only dependency. Put it above `#[derive(..)]`; serde's field attributes (`#[serde(default)]`,
/// `#[serde(alias = "..")]`) work as usual.
///
/// ```text
/// #[midas_response]
/// #[derive(Debug)]
/// pub struct PresentResponse { pub balance: i64, pub bill_no: String }
/// ```
#[proc_macro_attribute]
pub fn midas_response(args: TokenStream, input: TokenStream) -> TokenStream {
    response::midas_response(args.into(), input.into()).into()
}

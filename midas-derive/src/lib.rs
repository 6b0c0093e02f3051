//! `#[midas_api]`: one attribute on a request struct declares a whole Midas endpoint.
//!
//! Use it through `midas-api`, which re-exports it and documents the generated code:
//!
//! ```ignore
//! #[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
//! pub struct Present {
//!     #[midas(bill_no)]
//!     pub bill_no: String,
//!     #[midas(positive)]
//!     pub present_counts: i64,
//! }
//! ```
//!
//! The crate is staged like the derives it learned from: [`attr`] parses what a user can
//! write, [`ast`] turns the struct into our model, [`valid`] checks the rules, and [`expand`]
//! writes the tokens.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Declares a Midas 1.0 endpoint on a request struct.
///
/// Keys: `path = "/cgi-bin/midas/<api>"` (required), `response = Type` (required),
/// `sandbox_path = "..."` (defaults to `sandbox/` inserted after `/cgi-bin/midas/`).
/// Field attributes: `#[midas(rename = "wire_name")]`, `#[midas(bill_no)]`,
/// `#[midas(non_zero)]`, `#[midas(positive)]`.
#[proc_macro_attribute]
pub fn midas_api(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::midas_api(args.into(), input.into()).into()
}

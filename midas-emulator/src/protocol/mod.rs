//! The three protocols of the payment APIs behind one interface ([`Protocol`]), picked once per
//! request by [`of`].
//!
//! A payment request goes through the server ([`crate::server`]) in this order:
//!
//! | step | where | what |
//! |---|---|---|
//! | 1 | `server.rs` | route the path to an [`Api`](crate::Api), pick its protocol with [`of`]; POST only (43002) |
//! | 2 | `server.rs` | read the body within the limits (else the protocol's parameter errcode) |
//! | 3 | `server.rs` | the `access_token` of the query: issued and not replaced (40001), not expired (42001) |
//! | 4 | `v1.rs`, `v2.rs`, `xpay.rs` | [`Protocol::check`]: query parameters, body fields, signatures, the player, in the protocol's order; the call as an [`Entry`](crate::ledger::Entry) |
//! | 5 | `server.rs` | the fault plan, then the books ([`crate::ledger`]) |
//! | 6 | `v1.rs`, `v2.rs`, `xpay.rs` | [`Protocol::answer`] words an outcome, [`Protocol::refusal`] a refusal of the books |
//!
//! | file | holds |
//! |---|---|
//! | `interface.rs` | the [`Protocol`] trait; a request as [`Received`]; the [`Context`] it is checked against |
//! | `body.rs` | the body checker all three share: fields, types, unknown fields, amounts, order numbers, the fingerprint; each protocol's [`Wording`](body::Wording) of parameter errors |
//! | `body_signed.rs` | what Midas 2.0 and xpay share: signatures in the query, `pay_sig` over the received bytes |
//! | `v1.rs` | Midas 1.0: `sig` and `mp_sig` in the body, the environment in the path |
//! | `v2.rs` | Midas 2.0: `signature`, `sig_method`, `pay_sig` in the query, `env` in the body |
//! | `xpay.rs` | xpay: `pay_sig` and, for three APIs, `signature` in the query, no zones |
//! | `route.rs` | the checks of an added endpoint ([`Route`](crate::Route)) and of the server's own account services: the signatures of its scheme, `env`, the player |

mod body;
mod body_signed;
mod interface;
pub(crate) mod route;
mod v1;
mod v2;
mod xpay;

pub(crate) use self::interface::{Context, Protocol, Received};
use crate::api::Generation;

/// The protocol of the APIs of `generation`: the one place that tells the generations apart.
pub(crate) fn of(generation: Generation) -> &'static dyn Protocol {
    match generation {
        Generation::V1 => &v1::V1,
        Generation::V2 => &v2::V2,
        Generation::Xpay => &xpay::Xpay,
    }
}

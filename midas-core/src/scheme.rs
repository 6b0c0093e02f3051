//! The API generations, as data.

use crate::{ApiErrorKind, Env};

/// The API generations, as data: what differs between them is a [`Scheme`] value and a
/// signer, not a second request trait or a second client loop.
///
/// | scheme | paths | what is signed | where the signatures go |
/// |---|---|---|---|
/// | [`Scheme::V1`] (Midas 1.0) | `/cgi-bin/midas/*`, sandbox under `/cgi-bin/midas/sandbox/*` | the `k=v` pairs sorted by name + `org_loc`, `method`, the key | `sig`, `mp_sig` in the body |
/// | [`Scheme::V2`] (Midas 2.0) | `/wxa/game/*` | the exact body bytes | `signature`, `sig_method`, `pay_sig` in the query |
/// | [`Scheme::Xpay`] (virtual payment) | `/xpay/*` | the exact body bytes | `pay_sig`, `signature` in the query |
///
/// Adding a generation takes: a variant here with its errcodes ([`Scheme::classify`]); its
/// envelope in the attribute's table (`midas-derive`'s `scheme.rs`: reserved names, body order,
/// signing order) and its `scheme = ".."` value; its signer as an arm of
/// [`prepare`](crate::prepare()) and of [`PreparedCall::query`](crate::PreparedCall::query)
/// (where its signatures go); and, if it can look an order up, an arm of the client's lookup.
/// Nothing else: the client sends every generation through the same `call`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Midas 1.0, `/cgi-bin/midas/*`: sorted `k=v` signing; `sig` (app key) and `mp_sig`
    /// (session key, when the player has one) in the body; the path picks the environment.
    V1,
    /// Midas 2.0 for mini games, `/wxa/game/*`: `pay_sig` (payment key) and the player's
    /// `signature` over the exact body, in the query with `sig_method=hmac_sha256`; the body
    /// field `env` picks the environment.
    V2,
    /// Virtual payment, `/xpay/*`: `pay_sig` and, where the API requires it, `signature` over
    /// the exact body, in the query; the body field `env` picks the environment.
    Xpay,
}

impl Scheme {
    /// The generation's name in docs and messages: "Midas 1.0", "Midas 2.0", "xpay".
    ///
    /// ```
    /// use midas_core::Scheme;
    /// assert_eq!(Scheme::V2.name(), "Midas 2.0");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::V1 => "Midas 1.0",
            Self::V2 => "Midas 2.0",
            Self::Xpay => "xpay",
        }
    }

    /// The generation's one short name, as modules, attribute values and journals write it:
    /// `v1`, `v2`, `xpay`.
    ///
    /// ```
    /// use midas_core::Scheme;
    /// assert_eq!(Scheme::V2.as_str(), "v2");
    /// assert_eq!(Scheme::parse("xpay"), Some(Scheme::Xpay));
    /// assert_eq!(Scheme::parse("game_v2"), None);
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
            Self::Xpay => "xpay",
        }
    }

    /// The generation of a short name ([`Self::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "v1" => Some(Self::V1),
            "v2" => Some(Self::V2),
            "xpay" => Some(Self::Xpay),
            _ => None,
        }
    }

    /// Whether the generation signs the exact body bytes (Midas 2.0, xpay) rather than sorted
    /// pairs (Midas 1.0).
    pub const fn signs_the_body(self) -> bool {
        !matches!(self, Self::V1)
    }

    /// The meaning of an errcode in this generation. Midas 2.0 moved 90010 to the player's
    /// signature, 90011 to `pay_sig` and 90016 to an expired session; xpay has its own family.
    ///
    /// ```
    /// use midas_core::{ApiErrorKind, Scheme};
    /// assert_eq!(Scheme::V1.classify(90011), ApiErrorKind::SigRejected);
    /// assert_eq!(Scheme::V2.classify(90010), ApiErrorKind::MpSigRejected);
    /// assert_eq!(Scheme::Xpay.classify(268_490_004), ApiErrorKind::OrderExists);
    /// // A refund in progress: retry later with the same parameters.
    /// assert!(Scheme::Xpay.classify(268_490_014).is_retryable());
    /// assert_eq!(Scheme::Xpay.classify(268_490_016), ApiErrorKind::LeftFeeMismatch);
    /// ```
    pub const fn classify(self, errcode: i64) -> ApiErrorKind {
        match (self, errcode) {
            (_, -1) => ApiErrorKind::Busy,
            (_, 40001 | 40014 | 42001) => ApiErrorKind::TokenInvalid,
            (Self::V1, 90000) | (Self::V2, 90000 | 90019) => ApiErrorKind::OrderNotFound,
            (Self::V1, 90009) | (Self::V2, 90010) => ApiErrorKind::MpSigRejected,
            (Self::V1, 90010) | (Self::V2, 90016) => ApiErrorKind::SessionExpired,
            (Self::V1 | Self::V2, 90011) => ApiErrorKind::SigRejected,
            (Self::V1 | Self::V2, 90012) => ApiErrorKind::OrderExists,
            (Self::V1 | Self::V2, 90013) => ApiErrorKind::InsufficientBalance,
            (Self::V1, 90014) => ApiErrorKind::AlreadyConfirmed,
            (Self::V1, 90015) => ApiErrorKind::AlreadyRolledBack,
            (Self::V1, 90016) => ApiErrorKind::OrderInProgress,
            (Self::V1 | Self::V2, 90017) => ApiErrorKind::NoPermission,
            (Self::V1 | Self::V2, 90018) => ApiErrorKind::InvalidParameter,
            (Self::Xpay, 268_490_001 | 268_490_002) => ApiErrorKind::InvalidParameter,
            (Self::Xpay, 268_490_003) => ApiErrorKind::SigRejected,
            (Self::Xpay, 268_490_004) => ApiErrorKind::OrderExists,
            (Self::Xpay, 268_490_005) => ApiErrorKind::PayAlreadyRefunded,
            (Self::Xpay, 268_490_006) => ApiErrorKind::InsufficientBalance,
            (Self::Xpay, 268_490_009) => ApiErrorKind::SessionExpired,
            (Self::Xpay, 268_490_011) => ApiErrorKind::StillGenerating,
            (Self::Xpay, 268_490_012 | 268_490_014) => ApiErrorKind::OrderInProgress,
            (Self::Xpay, 268_490_015) => ApiErrorKind::RateLimited,
            (Self::Xpay, 268_490_013) => ApiErrorKind::RefundForbidden,
            (Self::Xpay, 268_490_016) => ApiErrorKind::LeftFeeMismatch,
            _ => ApiErrorKind::Other,
        }
    }

    /// The value of the body field `env` of the body-signed generations: 0 production, 1
    /// sandbox.
    pub const fn env_value(env: Env) -> i64 {
        env.pick(0, 1)
    }
}

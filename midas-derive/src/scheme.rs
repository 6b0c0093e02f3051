//! The API generations one attribute declares: the one table of each generation's envelope
//! (the names the client fills in, in the order the body writes them) and of the names it
//! computes when it signs. The reserved names, the Midas 1.0 signing order and the body the
//! signer sends all come from here.

use syn::LitStr;

use crate::errors::Errors;

/// `scheme = ".."` of `#[midas_api]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Midas 1.0, `/cgi-bin/midas/*`: sorted `k=v` signing, `sig` and `mp_sig` in the body.
    V1,
    /// Midas 2.0, `/wxa/game/*`: the exact body signed, signatures in the query.
    V2,
    /// xpay, `/xpay/*`: the exact body signed, signatures in the query.
    Xpay,
}

/// Where an envelope value comes from in the call context.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Appid,
    OfferId,
    Openid,
    ZoneId,
    Pf,
    UserIp,
    /// The environment, sent as 0/1.
    Env,
    Ts,
}

/// One envelope field: its wire name and where its value comes from.
pub(crate) struct EnvelopeField {
    pub(crate) name: &'static str,
    pub(crate) source: Source,
}

const fn field(name: &'static str, source: Source) -> EnvelopeField {
    EnvelopeField { name, source }
}

/// Midas 1.0: in byte-wise order of the names, which is both the body order and the order
/// the pairs are signed in.
const V1_ENVELOPE: &[EnvelopeField] = &[
    field("appid", Source::Appid),
    field("offer_id", Source::OfferId),
    field("openid", Source::Openid),
    field("pf", Source::Pf),
    field("ts", Source::Ts),
    field("user_ip", Source::UserIp),
    field("zone_id", Source::ZoneId),
];

/// Midas 2.0, in the order of the documented compact example.
const V2_ENVELOPE: &[EnvelopeField] = &[
    field("offer_id", Source::OfferId),
    field("zone_id", Source::ZoneId),
    field("openid", Source::Openid),
    field("env", Source::Env),
    field("ts", Source::Ts),
    field("user_ip", Source::UserIp),
];

/// xpay, in the order of the documented compact example.
const XPAY_ENVELOPE: &[EnvelopeField] =
    &[field("openid", Source::Openid), field("env", Source::Env), field("user_ip", Source::UserIp)];

impl Scheme {
    /// The scheme named, or `None` (with an error recorded) for an unknown name.
    pub(crate) fn parse(lit: Option<&LitStr>, errors: &mut Errors) -> Option<Self> {
        match lit.map(LitStr::value).as_deref() {
            None | Some("v1") => Some(Self::V1),
            Some("v2") => Some(Self::V2),
            Some("xpay") => Some(Self::Xpay),
            Some(other) => {
                if let Some(lit) = lit {
                    errors.spanned(
                        lit,
                        format!("unknown scheme `{other}`; expected \"v1\" (Midas 1.0, the default), \"v2\" (Midas 2.0) or \"xpay\""),
                    );
                }
                None
            }
        }
    }

    /// The body fields the client fills in from its configuration and the player, in body
    /// order.
    pub(crate) fn envelope(self) -> &'static [EnvelopeField] {
        match self {
            Self::V1 => V1_ENVELOPE,
            Self::V2 => V2_ENVELOPE,
            Self::Xpay => XPAY_ENVELOPE,
        }
    }

    /// Whether `wire` is one of the envelope's names.
    pub(crate) fn in_envelope(self, wire: &str) -> bool {
        self.envelope().iter().any(|field| field.name == wire)
    }

    /// The names the client computes when it signs.
    pub(crate) fn computed(self) -> &'static [&'static str] {
        match self {
            Self::V1 => &["sig", "mp_sig"],
            Self::V2 | Self::Xpay => &["pay_sig", "signature", "sig_method"],
        }
    }

    /// Where the generation's paths live.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::V1 => "/cgi-bin/midas/",
            Self::V2 => "/wxa/game/",
            Self::Xpay => "/xpay/",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::V1 => "Midas 1.0",
            Self::V2 => "Midas 2.0",
            Self::Xpay => "xpay",
        }
    }

    /// The runtime value, as a path under the generated code's private module.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Self::V1 => "V1",
            Self::V2 => "V2",
            Self::Xpay => "Xpay",
        }
    }

    pub(crate) fn signs_the_body(self) -> bool {
        self != Self::V1
    }
}

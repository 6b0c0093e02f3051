//! The API generations one attribute declares, and what each fills in by itself.

use syn::LitStr;

use crate::errors::Errors;

/// `scheme = ".."` of `#[midas_api]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Midas 1.0, `/cgi-bin/midas/*`: sorted `k=v` signing, `sig` and `mp_sig` in the body.
    MidasV1,
    /// Midas 2.0, `/wxa/game/*`: the exact body signed, signatures in the query.
    GameV2,
    /// xpay, `/xpay/*`: the exact body signed, signatures in the query.
    Xpay,
}

impl Scheme {
    /// The scheme named, or `None` (with an error recorded) for an unknown name.
    pub(crate) fn parse(lit: Option<&LitStr>, errors: &mut Errors) -> Option<Self> {
        match lit.map(LitStr::value).as_deref() {
            None | Some("midas_v1") => Some(Self::MidasV1),
            Some("game_v2") => Some(Self::GameV2),
            Some("xpay") => Some(Self::Xpay),
            Some(other) => {
                if let Some(lit) = lit {
                    errors.spanned(
                        lit,
                        format!("unknown scheme `{other}`; expected \"midas_v1\" (the default), \"game_v2\" or \"xpay\""),
                    );
                }
                None
            }
        }
    }

    /// The body fields the client fills in from its configuration and the player.
    pub(crate) fn envelope(self) -> &'static [&'static str] {
        match self {
            Self::MidasV1 => &["appid", "offer_id", "openid", "pf", "ts", "user_ip", "zone_id"],
            Self::GameV2 => &["env", "offer_id", "openid", "ts", "user_ip", "zone_id"],
            Self::Xpay => &["env", "openid", "user_ip"],
        }
    }

    /// The names the client computes when it signs.
    pub(crate) fn computed(self) -> &'static [&'static str] {
        match self {
            Self::MidasV1 => &["sig", "mp_sig"],
            Self::GameV2 | Self::Xpay => &["pay_sig", "signature", "sig_method"],
        }
    }

    /// Where the generation's paths live.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::MidasV1 => "/cgi-bin/midas/",
            Self::GameV2 => "/wxa/game/",
            Self::Xpay => "/xpay/",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::MidasV1 => "Midas 1.0",
            Self::GameV2 => "Midas 2.0",
            Self::Xpay => "xpay",
        }
    }

    pub(crate) fn is_body_signed(self) -> bool {
        self != Self::MidasV1
    }
}

//! The APIs the emulator serves, the generation each belongs to, and their paths.

use core::fmt;

use midas_core::Env;

/// The three generations of the Midas server APIs. They differ in paths, signatures and
/// errcodes, and share the books: one wallet per environment, player and zone.
///
/// ```
/// use midas_emulator::{Api, Generation};
/// assert_eq!(Api::V2Pay.generation(), Generation::V2);
/// assert!(Generation::Xpay.body_signed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Generation {
    /// Midas 1.0, `/cgi-bin/midas/[sandbox/]<api>`: `sig` and `mp_sig` in the body; the path
    /// picks the environment.
    V1,
    /// Midas 2.0 for mini games, `/wxa/game/<api>`: `pay_sig` and `signature` over the body
    /// bytes, in the query; the body's `env` picks the environment.
    V2,
    /// Virtual payment (xpay), `/xpay/<api>`: `pay_sig` and, for some APIs, `signature` over
    /// the body bytes, in the query; the body's `env` picks the environment.
    Xpay,
}

impl Generation {
    /// Whether requests are signed over their exact body bytes (`pay_sig`, `signature`).
    pub const fn body_signed(self) -> bool {
        !matches!(self, Self::V1)
    }
}

/// One API the emulator serves.
///
/// ```
/// use midas_emulator::{Api, Env};
/// assert_eq!(Api::Pay.path(Env::Sandbox), "/cgi-bin/midas/sandbox/pay");
/// assert_eq!(Api::route("/cgi-bin/midas/cancelpay"), Some((Api::CancelPay, Env::Production)));
/// assert_eq!(Api::V2Pay.path(Env::Sandbox), "/wxa/game/pay");
/// assert_eq!(Api::from_path("/xpay/currency_pay"), Some(Api::CurrencyPay));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Api {
    /// `midas.getBalance`.
    GetBalance,
    /// `midas.pay`.
    Pay,
    /// `midas.cancelPay`.
    CancelPay,
    /// `midas.present`.
    Present,
    /// Midas 2.0 `pay_v2.getBalance`, `/wxa/game/getbalance`.
    V2GetBalance,
    /// Midas 2.0 `pay_v2.pay`, `/wxa/game/pay`.
    V2Pay,
    /// Midas 2.0 `pay_v2.cancelPay`, `/wxa/game/cancelpay`.
    V2CancelPay,
    /// Midas 2.0 `pay_v2.present`, `/wxa/game/present`.
    V2Present,
    /// Midas 2.0 `pay_v2.queryOrder`, `/wxa/game/queryorderinfo`.
    V2QueryOrderInfo,
    /// xpay `/xpay/query_user_balance`.
    QueryUserBalance,
    /// xpay `/xpay/currency_pay`.
    CurrencyPay,
    /// xpay `/xpay/cancel_currency_pay`.
    CancelCurrencyPay,
    /// xpay `/xpay/present_currency`.
    PresentCurrency,
    /// xpay `/xpay/query_order`.
    QueryOrder,
    /// xpay `/xpay/notify_provide_goods`.
    NotifyProvideGoods,
    /// xpay `/xpay/refund_order`.
    RefundOrder,
}

impl Api {
    /// The four Midas 1.0 APIs, in the order of the documentation.
    pub const V1: [Self; 4] = [Self::GetBalance, Self::Pay, Self::CancelPay, Self::Present];

    /// The five Midas 2.0 APIs.
    pub const V2: [Self; 5] =
        [Self::V2GetBalance, Self::V2Pay, Self::V2CancelPay, Self::V2Present, Self::V2QueryOrderInfo];

    /// The xpay APIs.
    pub const XPAY: [Self; 7] = [
        Self::QueryUserBalance,
        Self::CurrencyPay,
        Self::CancelCurrencyPay,
        Self::PresentCurrency,
        Self::QueryOrder,
        Self::NotifyProvideGoods,
        Self::RefundOrder,
    ];

    /// Every API served: Midas 1.0, then Midas 2.0, then xpay.
    pub const ALL: [Self; 16] = [
        Self::GetBalance,
        Self::Pay,
        Self::CancelPay,
        Self::Present,
        Self::V2GetBalance,
        Self::V2Pay,
        Self::V2CancelPay,
        Self::V2Present,
        Self::V2QueryOrderInfo,
        Self::QueryUserBalance,
        Self::CurrencyPay,
        Self::CancelCurrencyPay,
        Self::PresentCurrency,
        Self::QueryOrder,
        Self::NotifyProvideGoods,
        Self::RefundOrder,
    ];

    /// The generation the API belongs to.
    pub const fn generation(self) -> Generation {
        match self {
            Self::GetBalance | Self::Pay | Self::CancelPay | Self::Present => Generation::V1,
            Self::V2GetBalance
            | Self::V2Pay
            | Self::V2CancelPay
            | Self::V2Present
            | Self::V2QueryOrderInfo => Generation::V2,
            Self::QueryUserBalance
            | Self::CurrencyPay
            | Self::CancelCurrencyPay
            | Self::PresentCurrency
            | Self::QueryOrder
            | Self::NotifyProvideGoods
            | Self::RefundOrder => Generation::Xpay,
        }
    }

    /// The last path segment, e.g. `"cancelpay"`. Midas 1.0 and 2.0 share some (`"pay"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::GetBalance | Self::V2GetBalance => "getbalance",
            Self::Pay | Self::V2Pay => "pay",
            Self::CancelPay | Self::V2CancelPay => "cancelpay",
            Self::Present | Self::V2Present => "present",
            Self::V2QueryOrderInfo => "queryorderinfo",
            Self::QueryUserBalance => "query_user_balance",
            Self::CurrencyPay => "currency_pay",
            Self::CancelCurrencyPay => "cancel_currency_pay",
            Self::PresentCurrency => "present_currency",
            Self::QueryOrder => "query_order",
            Self::NotifyProvideGoods => "notify_provide_goods",
            Self::RefundOrder => "refund_order",
        }
    }

    /// The path of this API in `env`, which is also the uri that is signed (`org_loc` of
    /// Midas 1.0, the uri of `pay_sig`). Only Midas 1.0 paths depend on `env`; the
    /// body-signed APIs carry the environment in the body.
    pub const fn path(self, env: Env) -> &'static str {
        match (self, env) {
            (Self::GetBalance, Env::Production) => "/cgi-bin/midas/getbalance",
            (Self::Pay, Env::Production) => "/cgi-bin/midas/pay",
            (Self::CancelPay, Env::Production) => "/cgi-bin/midas/cancelpay",
            (Self::Present, Env::Production) => "/cgi-bin/midas/present",
            (Self::GetBalance, Env::Sandbox) => "/cgi-bin/midas/sandbox/getbalance",
            (Self::Pay, Env::Sandbox) => "/cgi-bin/midas/sandbox/pay",
            (Self::CancelPay, Env::Sandbox) => "/cgi-bin/midas/sandbox/cancelpay",
            (Self::Present, Env::Sandbox) => "/cgi-bin/midas/sandbox/present",
            (Self::V2GetBalance, _) => "/wxa/game/getbalance",
            (Self::V2Pay, _) => "/wxa/game/pay",
            (Self::V2CancelPay, _) => "/wxa/game/cancelpay",
            (Self::V2Present, _) => "/wxa/game/present",
            (Self::V2QueryOrderInfo, _) => "/wxa/game/queryorderinfo",
            (Self::QueryUserBalance, _) => "/xpay/query_user_balance",
            (Self::CurrencyPay, _) => "/xpay/currency_pay",
            (Self::CancelCurrencyPay, _) => "/xpay/cancel_currency_pay",
            (Self::PresentCurrency, _) => "/xpay/present_currency",
            (Self::QueryOrder, _) => "/xpay/query_order",
            (Self::NotifyProvideGoods, _) => "/xpay/notify_provide_goods",
            (Self::RefundOrder, _) => "/xpay/refund_order",
        }
    }

    /// The Midas 1.0 API and environment served at `path`, if any. Body-signed APIs are not
    /// routed here (their environment is in the body); see [`Self::from_path`].
    pub fn route(path: &str) -> Option<(Self, Env)> {
        [Env::Production, Env::Sandbox]
            .into_iter()
            .flat_map(|env| Self::V1.into_iter().map(move |api| (api, env)))
            .find(|(api, env)| api.path(*env) == path)
    }

    /// The API served at `path`, of any generation.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::route(path).map(|(api, _)| api).or_else(|| {
            Self::ALL
                .into_iter()
                .find(|api| api.generation().body_signed() && api.path(Env::Production) == path)
        })
    }

    /// The Midas 1.0 API named [`Self::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::V1.into_iter().find(|api| api.name() == name)
    }
}

impl fmt::Display for Api {
    /// The name of a Midas 1.0 API (`pay`); the path without its leading `/` for the others
    /// (`wxa/game/pay`, `xpay/currency_pay`), so that no two APIs print alike.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.generation() {
            Generation::V1 => f.write_str(self.name()),
            _ => f.write_str(self.path(Env::Production).trim_start_matches('/')),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_leads_back_to_its_api() {
        for api in Api::ALL {
            for env in [Env::Production, Env::Sandbox] {
                assert_eq!(Api::from_path(api.path(env)), Some(api), "{api}");
            }
        }
        assert_eq!(Api::from_path("/wxa/game/refund"), None);
        assert_eq!(Api::route("/wxa/game/pay"), None);
    }

    #[test]
    fn no_two_apis_print_alike() {
        let mut printed: Vec<String> = Api::ALL.iter().map(ToString::to_string).collect();
        printed.sort();
        printed.dedup();
        assert_eq!(printed.len(), Api::ALL.len());
    }
}

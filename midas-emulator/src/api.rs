//! The four Midas 1.0 APIs and the paths they are served at.

use core::fmt;

use midas_core::Env;

/// One of the four Midas 1.0 APIs the emulator serves.
///
/// ```
/// use midas_emulator::{Api, Env};
/// assert_eq!(Api::Pay.path(Env::Sandbox), "/cgi-bin/midas/sandbox/pay");
/// assert_eq!(Api::route("/cgi-bin/midas/cancelpay"), Some((Api::CancelPay, Env::Production)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// `midas.getBalance`.
    GetBalance,
    /// `midas.pay`.
    Pay,
    /// `midas.cancelPay`.
    CancelPay,
    /// `midas.present`.
    Present,
}

impl Api {
    /// All four, in the order of the documentation.
    pub const ALL: [Self; 4] = [Self::GetBalance, Self::Pay, Self::CancelPay, Self::Present];

    /// The last path segment, e.g. `"cancelpay"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::GetBalance => "getbalance",
            Self::Pay => "pay",
            Self::CancelPay => "cancelpay",
            Self::Present => "present",
        }
    }

    /// The path of this API in `env`, which is also the `org_loc` that is signed.
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
        }
    }

    /// The API and environment served at `path`, if any.
    pub fn route(path: &str) -> Option<(Self, Env)> {
        [Env::Production, Env::Sandbox]
            .into_iter()
            .flat_map(|env| Self::ALL.into_iter().map(move |api| (api, env)))
            .find(|(api, env)| api.path(*env) == path)
    }

    /// Parses [`Self::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|api| api.name() == name)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

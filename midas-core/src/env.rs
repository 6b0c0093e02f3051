//! The Midas environment: production or sandbox.

use core::fmt;

/// Which Midas environment a request goes to.
///
/// In Midas 1.0 the environment picks the path (`/cgi-bin/midas/<api>` or
/// `/cgi-bin/midas/sandbox/<api>`), the `org_loc` that is signed (the same path), and the app
/// key that signs. There is deliberately no `Default`: money moves in production, so the
/// choice is always written down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Env {
    /// Real currency, real players.
    Production,
    /// The Midas sandbox, with its own app key.
    Sandbox,
}

impl Env {
    /// Picks the production or the sandbox value.
    ///
    /// ```
    /// use midas_core::Env;
    /// assert_eq!(Env::Sandbox.pick("/cgi-bin/midas/pay", "/cgi-bin/midas/sandbox/pay"),
    ///            "/cgi-bin/midas/sandbox/pay");
    /// ```
    pub const fn pick<T: Copy>(self, production: T, sandbox: T) -> T {
        match self {
            Self::Production => production,
            Self::Sandbox => sandbox,
        }
    }

    /// `"production"` or `"sandbox"`.
    pub const fn as_str(self) -> &'static str {
        self.pick("production", "sandbox")
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

//! One value per environment: the Midas 1.0 app keys and the payment keys that sign `pay_sig`
//! of Midas 2.0 and xpay (Midas gives each environment its own key, so a pair whose two keys
//! are equal is refused when the server starts), and the desks' state, kept apart per
//! environment as WeChat keeps it.

use midas_core::{AppKey, Env};

/// A value for each environment: a key (or a setting of one), or a desk's state.
#[derive(Clone, Debug, Default)]
pub(crate) struct PerEnv<K = AppKey> {
    pub(crate) production: K,
    pub(crate) sandbox: K,
}

impl<K> PerEnv<K> {
    /// The key of `env`.
    pub(crate) fn get(&self, env: Env) -> &K {
        match env {
            Env::Production => &self.production,
            Env::Sandbox => &self.sandbox,
        }
    }

    /// The value of `env`, to change.
    pub(crate) fn get_mut(&mut self, env: Env) -> &mut K {
        match env {
            Env::Production => &mut self.production,
            Env::Sandbox => &mut self.sandbox,
        }
    }
}

impl PerEnv<Option<AppKey>> {
    /// The keys set, and `defaults` for the others.
    pub(crate) fn or(self, defaults: PerEnv) -> PerEnv {
        PerEnv {
            production: self.production.unwrap_or(defaults.production),
            sandbox: self.sandbox.unwrap_or(defaults.sandbox),
        }
    }
}

impl PerEnv {
    /// Two keys from their texts.
    pub(crate) fn from_texts(production: &str, sandbox: &str) -> Result<Self, midas_core::ValidationError> {
        Ok(Self { production: AppKey::new(production)?, sandbox: AppKey::new(sandbox)? })
    }

    /// Whether both environments would share one key (Midas never does).
    pub(crate) fn shared(&self) -> bool {
        self.production.expose_secret() == self.sandbox.expose_secret()
    }
}

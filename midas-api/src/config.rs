//! The client configuration, checked once when it is built.

use std::time::Duration;

use midas_core::{AppKey, Env, Rule, ValidationError};

use crate::checks::{check_timeout, checked_base_url};
use crate::retry::RetryPolicy;

/// The production host of the WeChat server API.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// What a client needs: the app's ids, the app key of each environment, the environment, the
/// base URL, the per-attempt timeout and the retry policy. Build it with [`Config::builder`].
///
/// ```
/// use std::time::Duration;
/// use midas_api::{AppKey, Config, Env, RetryPolicy};
/// let config = Config::builder("wx1234567", "12345678", Env::Production)
///     .production_key(AppKey::new("midas-app-key")?)
///     .payment_production_key(AppKey::new("virtual-payment-app-key")?)
///     .base_url("https://api.weixin.qq.com/")
///     .timeout(Duration::from_secs(3))
///     .retry(RetryPolicy::default().with_max_attempts(6))
///     .build()?;
/// assert_eq!(config.base_url(), "https://api.weixin.qq.com");
/// assert_eq!((config.timeout(), config.retry().max_attempts()), (Duration::from_secs(3), 6));
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) appid: String,
    pub(crate) offer_id: String,
    pub(crate) env: Env,
    pub(crate) production_key: Option<AppKey>,
    pub(crate) sandbox_key: Option<AppKey>,
    pub(crate) payment_production_key: Option<AppKey>,
    pub(crate) payment_sandbox_key: Option<AppKey>,
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
}

impl Config {
    /// Starts a configuration for `appid` and `offer_id` in `env`.
    ///
    /// ```
    /// use midas_api::{AppKey, Config, Env};
    /// let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
    ///     .sandbox_key(AppKey::new("sandbox-key")?)
    ///     .build()?;
    /// assert_eq!(config.env(), Env::Sandbox);
    /// # Ok::<(), midas_api::ValidationError>(())
    /// ```
    pub fn builder(appid: impl Into<String>, offer_id: impl Into<String>, env: Env) -> ConfigBuilder {
        ConfigBuilder {
            config: Self {
                appid: appid.into(),
                offer_id: offer_id.into(),
                env,
                production_key: None,
                sandbox_key: None,
                payment_production_key: None,
                payment_sandbox_key: None,
                base_url: DEFAULT_BASE_URL.to_owned(),
                timeout: Duration::from_secs(5),
                retry: RetryPolicy::default(),
                max_response_bytes: 64 * 1024,
            },
        }
    }

    /// The environment calls go to.
    pub fn env(&self) -> Env {
        self.env
    }

    /// The AppID.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// The offer id.
    pub fn offer_id(&self) -> &str {
        &self.offer_id
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The key that signs for the app in `scheme` and the configured environment: the Midas
    /// app key for Midas 1.0, the virtual-payment AppKey for the others.
    pub(crate) fn key(&self, scheme: midas_core::Scheme) -> Result<&AppKey, ValidationError> {
        if scheme.signs_the_body() { self.payment_key() } else { self.app_key() }
    }

    /// The app key of the configured environment.
    pub(crate) fn app_key(&self) -> Result<&AppKey, ValidationError> {
        let (key, field) = match self.env {
            Env::Production => (&self.production_key, "production_key"),
            Env::Sandbox => (&self.sandbox_key, "sandbox_key"),
        };
        key.as_ref().ok_or(ValidationError::new(field, Rule::MissingKey(self.env)))
    }

    /// The virtual-payment app key (Midas 2.0 and xpay) of the configured environment.
    pub(crate) fn payment_key(&self) -> Result<&AppKey, ValidationError> {
        let (key, field) = match self.env {
            Env::Production => (&self.payment_production_key, "payment_production_key"),
            Env::Sandbox => (&self.payment_sandbox_key, "payment_sandbox_key"),
        };
        key.as_ref().ok_or(ValidationError::new(field, Rule::MissingKey(self.env)))
    }
}

/// Builds a [`Config`]; [`ConfigBuilder::build`] checks it.
///
/// A production configuration with only the sandbox key could not sign anything, so it is
/// refused, naming the missing key:
///
/// ```
/// use midas_api::{AppKey, Config, Env, Rule};
/// let error = Config::builder("wx1234567", "12345678", Env::Production)
///     .sandbox_key(AppKey::new("sandbox-key")?)
///     .build()
///     .expect_err("no key for production");
/// assert_eq!(error.field(), "production_key");
/// assert_eq!(error.rule(), &Rule::MissingKey(Env::Production));
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ConfigBuilder {
    config: Config,
}

impl ConfigBuilder {
    /// The production Midas app key.
    pub fn production_key(mut self, key: AppKey) -> Self {
        self.config.production_key = Some(key);
        self
    }

    /// The sandbox Midas app key.
    pub fn sandbox_key(mut self, key: AppKey) -> Self {
        self.config.sandbox_key = Some(key);
        self
    }

    /// The production virtual-payment AppKey, which signs Midas 2.0 and xpay calls (`pay_sig`).
    pub fn payment_production_key(mut self, key: AppKey) -> Self {
        self.config.payment_production_key = Some(key);
        self
    }

    /// The sandbox virtual-payment AppKey.
    pub fn payment_sandbox_key(mut self, key: AppKey) -> Self {
        self.config.payment_sandbox_key = Some(key);
        self
    }

    /// The base URL (default `https://api.weixin.qq.com`), e.g. a local Midas server;
    /// [`Self::build`] refuses one with a `user:password@`, a query or a fragment.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.config.base_url = base_url.into();
        self
    }

    /// How long one attempt may take (default 5 s; 1 ms to 5 min).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// The largest response body read (default 64 KiB; 1 KiB to 16 MiB).
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.config.max_response_bytes = max;
        self
    }

    /// Checks and returns the configuration: ids not empty, the key of the chosen environment
    /// present, an http(s) base URL, a sane timeout and retry policy.
    pub fn build(self) -> Result<Config, ValidationError> {
        let mut config = self.config;
        for (field, value) in [("appid", &config.appid), ("offer_id", &config.offer_id)] {
            if value.is_empty() {
                return Err(ValidationError::new(field, Rule::NotEmpty));
            }
        }
        // A client needs a key for its environment: Midas 1.0, virtual payment, or both.
        if config.payment_key().is_err() {
            config.app_key()?;
        }
        config.base_url = checked_base_url(&config.base_url)?;
        check_timeout(config.timeout)?;
        let max = config.max_response_bytes as u64;
        if !(1024..=16 * 1024 * 1024).contains(&max) {
            return Err(ValidationError::new(
                "max_response_bytes",
                Rule::Range { min: 1024, max: 16 * 1024 * 1024 },
            ));
        }
        config.retry.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use midas_core::{AppKey, Env, Rule};

    use super::Config;

    /// Security review, finding 3 (in part): a `user:password@` in the base URL was printed in
    /// `Config`'s `Debug` and in errors. It is refused.
    #[test]
    fn a_base_url_with_user_and_password_is_refused() {
        for base_url in
            ["https://user:hunter2@midas.test", "http://user@127.0.0.1:8080/", "https://@midas.test"]
        {
            let error = Config::builder("wx1234567", "12345678", Env::Sandbox)
                .sandbox_key(AppKey::new("sandbox-key").expect("not empty"))
                .base_url(base_url)
                .build()
                .expect_err("userinfo is refused");
            assert_eq!((error.field(), error.rule()), ("base_url", &Rule::Url), "{base_url}");
            assert!(!format!("{error} {error:?}").contains("hunter2"));
        }
    }
}

//! Where the client gets its `access_token`.

use std::future::Future;
use std::time::Duration;

use midas_core::{AccessToken, TokenError};

/// A source of access tokens, shared by every call of a client.
///
/// The client asks [`Self::token`] once per call. When Midas answers 40001/40014/42001 (token
/// invalid or expired) it calls [`Self::refresh`] with the token that was refused, and sends
/// the call once more with the new one. Implement it to plug in a shared cache (a token
/// service, Redis) that many servers use.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::RwLock;
/// use midas_api::{AccessToken, TokenError, TokenSource};
///
/// /// The token a central service last pushed to this server.
/// struct Pushed(RwLock<Option<AccessToken>>);
///
/// impl TokenSource for Pushed {
///     async fn token(&self) -> Result<AccessToken, TokenError> {
///         let pushed = self.0.read().map_err(|_| TokenError::new(None, "lock poisoned", false))?;
///         pushed.clone().ok_or_else(|| TokenError::new(None, "no token pushed yet", true))
///     }
///     async fn refresh(&self, _rejected: &AccessToken) -> Result<AccessToken, TokenError> {
///         Err(TokenError::new(None, "the token service refreshes on its own", true))
///     }
/// }
///
/// let tokens = Pushed(RwLock::new(Some(AccessToken::new("TOKEN")?)));
/// assert_eq!(tokens.token().await?, AccessToken::new("TOKEN")?);
/// # Ok(()) }
/// ```
pub trait TokenSource: Send + Sync {
    /// A token believed valid.
    fn token(&self) -> impl Future<Output = Result<AccessToken, TokenError>> + Send;

    /// A token other than `rejected`, which the API refused.
    fn refresh(&self, rejected: &AccessToken)
    -> impl Future<Output = Result<AccessToken, TokenError>> + Send;

    /// [`Self::token`], and how much longer this source itself would use the token, when it
    /// knows; a cache in front of it (a fleet's shared one) keeps the token no longer than
    /// that. By default the lifetime is unknown (`None`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{AccessToken, StaticToken, TokenSource};
    /// let tokens = StaticToken::new(AccessToken::new("TOKEN")?);
    /// let (token, lifetime) = tokens.token_with_lifetime().await?;
    /// assert_eq!((token.expose_secret(), lifetime), ("TOKEN", None));
    /// # Ok(()) }
    /// ```
    fn token_with_lifetime(
        &self,
    ) -> impl Future<Output = Result<(AccessToken, Option<Duration>), TokenError>> + Send {
        async { Ok((self.token().await?, None)) }
    }

    /// [`Self::refresh`], and how much longer this source itself would use the new token, when
    /// it knows (`None` by default), as [`Self::token_with_lifetime`].
    fn refresh_with_lifetime(
        &self,
        rejected: &AccessToken,
    ) -> impl Future<Output = Result<(AccessToken, Option<Duration>), TokenError>> + Send {
        async move { Ok((self.refresh(rejected).await?, None)) }
    }
}

/// A token managed elsewhere, used as it is. It cannot be refreshed: a refused token is
/// reported as the API's error.
///
/// ```
/// use midas_api::{AccessToken, StaticToken};
/// let tokens = StaticToken::new(AccessToken::new("ACCESS_TOKEN")?);
/// assert_eq!(format!("{tokens:?}"), "StaticToken(AccessToken(***))");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Uses `token` for every call.
    pub fn new(token: AccessToken) -> Self {
        Self(token)
    }
}

impl TokenSource for StaticToken {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        Ok(self.0.clone())
    }

    async fn refresh(&self, _rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        Err(TokenError::new(None, "a static token cannot be refreshed", false))
    }
}

impl<T: TokenSource + ?Sized> TokenSource for std::sync::Arc<T> {
    fn token(&self) -> impl Future<Output = Result<AccessToken, TokenError>> + Send {
        (**self).token()
    }

    fn refresh(
        &self,
        rejected: &AccessToken,
    ) -> impl Future<Output = Result<AccessToken, TokenError>> + Send {
        (**self).refresh(rejected)
    }

    fn token_with_lifetime(
        &self,
    ) -> impl Future<Output = Result<(AccessToken, Option<Duration>), TokenError>> + Send {
        (**self).token_with_lifetime()
    }

    fn refresh_with_lifetime(
        &self,
        rejected: &AccessToken,
    ) -> impl Future<Output = Result<(AccessToken, Option<Duration>), TokenError>> + Send {
        (**self).refresh_with_lifetime(rejected)
    }
}

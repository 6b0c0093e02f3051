//! Endpoints added to the server: a service that declares its own endpoint with
//! `#[midas_api]` registers a handler for it ([`Route`]), and the server serves it with the
//! same checks as its own APIs (token, signatures, the player's session) before the handler
//! sees the body.

use core::fmt;
use std::sync::Arc;

use midas_core::{Env, MidasRequest, Scheme};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The success fields of an answer (the server adds `errcode` 0 and `errmsg` `"ok"`).
pub type RouteFields = Map<String, Value>;

/// A refusal by a route's handler: the `errcode` and `errmsg` of the answer.
///
/// ```
/// use midas_emulator::RouteError;
/// let refused = RouteError::new(268_490_002, "[goods_id] goods_id is invalid: unknown");
/// assert_eq!(refused.errcode(), 268_490_002);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("errcode {errcode}: {errmsg}")]
pub struct RouteError {
    errcode: i64,
    errmsg: String,
}

impl RouteError {
    /// A refusal with `errcode` (not 0) and `errmsg`.
    pub fn new(errcode: i64, errmsg: impl Into<String>) -> Self {
        Self { errcode, errmsg: errmsg.into() }
    }

    /// The errcode.
    pub fn errcode(&self) -> i64 {
        self.errcode
    }

    /// The errmsg.
    pub fn errmsg(&self) -> &str {
        &self.errmsg
    }
}

/// A request to a route, after the server checked it: a valid `access_token`, `pay_sig` with
/// the payment key of the body's `env`, and the player's `signature` where the route takes it.
///
/// Typed reads refuse a missing or mistyped field with the scheme's parameter errcode
/// (Midas 2.0 90018, xpay 268490002) and an errmsg naming the field.
#[derive(Clone, Copy)]
pub struct RouteRequest<'a> {
    pub(crate) path: &'a str,
    pub(crate) scheme: Scheme,
    pub(crate) env: Env,
    pub(crate) fields: &'a Map<String, Value>,
    pub(crate) body: &'a [u8],
}

impl fmt::Debug for RouteRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteRequest")
            .field("path", &self.path)
            .field("scheme", &self.scheme)
            .field("env", &self.env)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl<'a> RouteRequest<'a> {
    /// The path called.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The route's generation.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The environment the body's `env` names.
    pub fn env(&self) -> Env {
        self.env
    }

    /// The player: the body's `openid`, when it has one.
    pub fn openid(&self) -> Option<&'a str> {
        self.fields.get("openid").and_then(Value::as_str)
    }

    /// Every field of the body.
    pub fn fields(&self) -> &'a Map<String, Value> {
        self.fields
    }

    /// The exact bytes of the body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The body decoded into `T`; a body `T` does not accept is a parameter error.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, RouteError> {
        serde_json::from_slice(self.body)
            .map_err(|error| RouteError::new(self.parameter_errcode(), format!("invalid parameter: {error}")))
    }

    /// A text field that must be present and not empty.
    pub fn text(&self, name: &str) -> Result<&'a str, RouteError> {
        match self.optional_text(name)? {
            Some(text) if !text.is_empty() => Ok(text),
            Some(_) => Err(self.invalid(name, "must not be empty")),
            None => Err(self.missing(name)),
        }
    }

    /// A text field that may be absent.
    pub fn optional_text(&self, name: &str) -> Result<Option<&'a str>, RouteError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.invalid(name, "must be a string")),
        }
    }

    /// An integer field that must be present.
    pub fn integer(&self, name: &str) -> Result<i64, RouteError> {
        self.optional_integer(name)?.ok_or_else(|| self.missing(name))
    }

    /// An integer field that may be absent.
    pub fn optional_integer(&self, name: &str) -> Result<Option<i64>, RouteError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value.as_i64().map(Some).ok_or_else(|| self.invalid(name, "must be an integer")),
        }
    }

    /// The scheme's parameter error for `field`, e.g. `[goods_id] goods_id is invalid: unknown`.
    pub fn invalid(&self, field: &str, problem: &str) -> RouteError {
        RouteError::new(self.parameter_errcode(), format!("[{field}] {field} is invalid: {problem}"))
    }

    /// The scheme's parameter error for a missing `field`.
    pub fn missing(&self, field: &str) -> RouteError {
        RouteError::new(self.parameter_errcode(), format!("[{field}] {field} is missing"))
    }

    /// The scheme's errcode of a parameter error: Midas 2.0 90018, xpay 268490002.
    pub fn parameter_errcode(&self) -> i64 {
        parameter_errcode(self.scheme)
    }
}

/// The errcode of a parameter error of a body-signed `scheme`.
pub(crate) const fn parameter_errcode(scheme: Scheme) -> i64 {
    match scheme {
        Scheme::Xpay => 268_490_002,
        _ => 90018,
    }
}

/// The business logic of a route: the fields of its success, or a refusal.
///
/// Closures `Fn(&RouteRequest<'_>) -> Result<RouteFields, RouteError>` are handlers. A handler
/// runs outside the server's lock, so it may call the [`Emulator`](crate::Emulator)'s methods.
pub trait RouteHandler: Send + Sync + 'static {
    /// Answers one checked request.
    fn handle(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError>;
}

impl<F> RouteHandler for F
where
    F: Fn(&RouteRequest<'_>) -> Result<RouteFields, RouteError> + Send + Sync + 'static,
{
    fn handle(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        self(request)
    }
}

/// Why a route cannot be registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRoute {
    /// Only the body-signed generations (Midas 2.0, xpay) can be added: Midas 1.0's signature
    /// covers a fixed set of fields.
    #[error("routes of {0} cannot be added: only Midas 2.0 and xpay endpoints can")]
    Scheme(&'static str),
    /// The path does not start with `/`.
    #[error("a route's path must start with `/`")]
    Path,
    /// The server already serves the path.
    #[error("the server already serves {0}")]
    Taken(String),
}

/// An endpoint added to the server: its path, its generation, whether it takes the player's
/// `signature`, and its handler.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_emulator::{Emulator, Route, RouteFields, RouteRequest};
/// use midas_core::Scheme;
/// let emulator = Emulator::start().await?;
/// let route = Route::new(Scheme::Xpay, "/xpay/query_vip_level", false, |request: &RouteRequest<'_>| {
///     let mut fields = RouteFields::new();
///     fields.insert("level".into(), request.integer("season")?.min(9).into());
///     Ok(fields)
/// })?;
/// emulator.add_route(route)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Route {
    pub(crate) path: String,
    pub(crate) scheme: Scheme,
    pub(crate) user_signature: bool,
    pub(crate) handler: Arc<dyn RouteHandler>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("path", &self.path)
            .field("scheme", &self.scheme)
            .field("user_signature", &self.user_signature)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// A route at `path` of `scheme`; `user_signature`: whether the request carries the
    /// player's `signature` (then the body's `openid` must be a known, logged-in player).
    pub fn new(
        scheme: Scheme,
        path: impl Into<String>,
        user_signature: bool,
        handler: impl RouteHandler,
    ) -> Result<Self, InvalidRoute> {
        let path = path.into();
        if !matches!(scheme, Scheme::V2 | Scheme::Xpay) {
            return Err(InvalidRoute::Scheme(scheme.name()));
        }
        if !path.starts_with('/') {
            return Err(InvalidRoute::Path);
        }
        Ok(Self { path, scheme, user_signature, handler: Arc::new(handler) })
    }

    /// The route of an endpoint declared with `#[midas_api]`: its path, generation and
    /// signatures come from the declaration.
    pub fn of<R: MidasRequest>(handler: impl RouteHandler) -> Result<Self, InvalidRoute> {
        Self::new(R::SCHEME, R::PATH, R::USER_SIGNATURE, handler)
    }

    /// The path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

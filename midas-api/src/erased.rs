//! A request with its type erased, so that the client's call path — retries, the journal,
//! order lookups, metrics and spans — is compiled once in this crate rather than once per
//! request type in every crate that calls it. Per request type only this adapter (a vtable:
//! validate, prepare, decode) and the final downcast are instantiated.

use std::any::Any;

use midas_core::{
    CallContext, Error, MaskedSigned, MidasRequest, PreparedCall, Scheme, ValidationError, decode,
};

/// A decoded success response of some request type; [`DynRequest::decode`] made it, and the
/// typed caller takes it back with [`downcast`].
pub(crate) type AnyResponse = Box<dyn Any + Send>;

/// What the call path needs of a request, object-safe.
pub(crate) trait DynRequest: Sync {
    /// [`MidasRequest::API`].
    fn api(&self) -> &'static str;
    /// [`MidasRequest::SCHEME`].
    fn scheme(&self) -> Scheme;
    /// [`MidasRequest::order_key`].
    fn order_key(&self) -> Option<(&'static str, &str)>;
    /// [`MidasRequest::amount`].
    fn amount(&self) -> Option<i64>;
    /// [`midas_core::validate`].
    fn validate(&self, context: &CallContext<'_>) -> Result<(), ValidationError>;
    /// [`midas_core::prepare`].
    fn prepare(&self, context: &CallContext<'_>) -> Result<PreparedCall, ValidationError>;
    /// [`PreparedCall::masked`].
    fn masked(&self, prepared: &PreparedCall, context: &CallContext<'_>) -> MaskedSigned;
    /// [`MidasRequest::write_fields`]: what a journal records of the request.
    #[cfg(feature = "journal")]
    fn write_fields(&self, body: &mut midas_core::JsonObject<'_>);
    /// [`midas_core::decode`] into the request's response type, boxed.
    fn decode(&self, body: &[u8], key: Option<(&str, &str)>) -> Result<AnyResponse, Error>;
}

impl dyn DynRequest + '_ {
    /// [`MidasRequest::order_id`] (here, not a provided method, so that it is compiled once).
    pub(crate) fn order_id(&self) -> Option<&str> {
        self.order_key().map(|(_, value)| value)
    }
}

impl<R> DynRequest for R
where
    R: MidasRequest + Sync,
    R::Response: Send + 'static,
{
    fn api(&self) -> &'static str {
        R::API
    }

    fn scheme(&self) -> Scheme {
        R::SCHEME
    }

    fn order_key(&self) -> Option<(&'static str, &str)> {
        MidasRequest::order_key(self)
    }

    fn amount(&self) -> Option<i64> {
        MidasRequest::amount(self)
    }

    fn validate(&self, context: &CallContext<'_>) -> Result<(), ValidationError> {
        midas_core::validate(self, context)
    }

    fn prepare(&self, context: &CallContext<'_>) -> Result<PreparedCall, ValidationError> {
        midas_core::prepare(self, context)
    }

    fn masked(&self, prepared: &PreparedCall, context: &CallContext<'_>) -> MaskedSigned {
        prepared.masked(self, context)
    }

    #[cfg(feature = "journal")]
    fn write_fields(&self, body: &mut midas_core::JsonObject<'_>) {
        MidasRequest::write_fields(self, body);
    }

    fn decode(&self, body: &[u8], key: Option<(&str, &str)>) -> Result<AnyResponse, Error> {
        let response = decode::<R::Response>(R::API, body, |code| R::SCHEME.classify(code), key)?;
        Ok(Box::new(response))
    }
}

/// The response `decode` boxed, back as its type. The call path hands a request's own
/// response back to that request's typed caller, so the type always matches; were it not to,
/// the answer is a decode error, not a panic.
pub(crate) fn downcast<T: 'static>(api: &'static str, response: AnyResponse) -> Result<T, Error> {
    match response.downcast::<T>() {
        Ok(response) => Ok(*response),
        Err(_) => Err(another_type(api)),
    }
}

/// The error of a [`downcast`] to the wrong type (non-generic: compiled once).
fn another_type(api: &'static str) -> Error {
    midas_core::DecodeError::after_success(api, "the response is of another type").into()
}

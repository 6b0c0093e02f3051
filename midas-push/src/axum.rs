//! An axum [`Router`] that mounts a [`Receiver`] at a path: GET answers the activation echo,
//! POST receives pushes, in the receiver's mode ([`Acknowledge`](crate::Acknowledge)). Bodies
//! over the configured cap are refused before they are read.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::handler::Handler;
use crate::inbox::Inbox;
use crate::receiver::Receiver;
use crate::reply::Reply;

/// A router serving `receiver` at `path` (GET echo, POST pushes), in either mode.
///
/// Synchronous (the handler runs in the request):
///
/// ```
/// use midas_push::{Answer, HandlerError, MemoryInbox, Opener, Push, PushConfig, Receiver};
/// let config = PushConfig::builder()
///     .token("AAAAA")
///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
///     .app_id("wxba5fad812f8e6fb9")
///     .build()?;
/// let handler = |push: Push| async move {
///     // Deliver `push.event()` here.
///     let _ = push;
///     Ok::<_, HandlerError>(Answer::Success)
/// };
/// let receiver = Receiver::new(Opener::new(config), handler, MemoryInbox::new());
/// let app: axum::Router = midas_push::axum::router("/wechat/push", receiver);
/// # let _ = app;
/// # Ok::<(), midas_push::ConfigError>(())
/// ```
///
/// Persist-then-ack (the router stores and acknowledges, a worker task runs the handler):
///
/// ```
/// use midas_push::{Acknowledge, Answer, HandlerError, MemoryInbox, Opener, Push, PushConfig, Receiver};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
/// # let config = PushConfig::builder().token("AAAAA").app_id("wx1").build()?;
/// # let handler = |_push: Push| async move { Ok::<_, HandlerError>(Answer::Success) };
/// // Use a durable inbox here (midas_api::JournalInbox): acknowledged events live in it.
/// let receiver = Receiver::new(Opener::new(config), handler, MemoryInbox::new())
///     .acknowledge(Acknowledge::AfterStoring);
/// let worker = tokio::spawn(receiver.worker().run());
/// let app: axum::Router = midas_push::axum::router("/wechat/push", receiver);
/// # let _ = app;
/// # worker.abort();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn router<H, I>(path: &str, receiver: Receiver<H, I>) -> Router
where
    H: Handler + 'static,
    I: Inbox + 'static,
{
    let limit = receiver.opener().config().max_body();
    Router::new()
        .route(path, get(echo::<H, I>).post(receive::<H, I>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(Arc::new(receiver))
}

async fn echo<H: Handler + 'static, I: Inbox + 'static>(
    State(receiver): State<Arc<Receiver<H, I>>>,
    RawQuery(query): RawQuery,
) -> Response {
    match receiver.echo(query.as_deref().unwrap_or_default()) {
        Ok(reply) => respond(&reply),
        Err(refused) => respond(refused.reply()),
    }
}

async fn receive<H: Handler + 'static, I: Inbox + 'static>(
    State(receiver): State<Arc<Receiver<H, I>>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    match receiver.receive(query.as_deref().unwrap_or_default(), &body).await {
        Ok(reply) => respond(&reply),
        Err(refused) => respond(refused.reply()),
    }
}

fn respond(reply: &Reply) -> Response {
    let status = StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, reply.content_type())], reply.body().to_owned()).into_response()
}

//! The connections: an accept loop over hyper's HTTP/1 connections, kept within the
//! [`crate::limits`], each serving its requests through [`server::handle`].
//!
//! hyper's header read timeout runs on [`TokioTimer`]; the cap on connections is this loop's:
//! beyond it, each new connection makes the oldest open one shut down gracefully (see
//! [`crate::limits`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::server;
use crate::shared::Shared;

/// Accepts connections until the task is aborted; aborting drops every connection with it.
pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let max_connections = shared.limits.max_connections.max(1);
    let mut connections = JoinSet::new();
    // The open connections not yet asked to close, oldest first, by accept number.
    let mut serving: BTreeMap<u64, oneshot::Sender<()>> = BTreeMap::new();
    let mut accepted_so_far: u64 = 0;
    loop {
        let room = connections.len() < max_connections.saturating_mul(2);
        tokio::select! {
            accepted = listener.accept(), if room => match accepted {
                Ok((stream, _)) => {
                    if connections.len() >= max_connections {
                        // Over the cap: the oldest connection closes, at once if idle.
                        if let Some((_, close)) = serving.pop_first() {
                            let _ = close.send(());
                        }
                    }
                    accepted_so_far += 1;
                    let (close, closing) = oneshot::channel();
                    serving.insert(accepted_so_far, close);
                    let connection = serve_connection(stream, Arc::clone(&shared), closing);
                    let number = accepted_so_far;
                    connections.spawn(async move {
                        connection.await;
                        number
                    });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(ended) = connections.join_next(), if !connections.is_empty() => match ended {
                Ok(number) => {
                    serving.remove(&number);
                }
                // A connection task that panicked: forget whichever connections are gone.
                Err(_) => serving.retain(|_, close| !close.is_closed()),
            }
        }
    }
}

/// Serves one connection until it ends, or shuts it down gracefully once `closing` fires.
async fn serve_connection(stream: TcpStream, shared: Arc<Shared>, closing: oneshot::Receiver<()>) {
    let header_read_timeout = shared.limits.header_read_timeout;
    let service = service_fn(move |request| server::handle(Arc::clone(&shared), request));
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    // Errors end only this connection: a client that went away, a header read timeout, or a
    // dropped-connection fault.
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = closing => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

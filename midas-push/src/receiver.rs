//! The receiver: open, then either claim, run the handler inside the answer budget, store
//! the answer and reply (synchronous mode), or store the event and acknowledge it at once for
//! a worker (persist-then-ack mode) — so that every repeat of an event gets the first answer
//! and the handler runs once.

use core::time::Duration;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::error::{PushError, Retry};
use crate::handler::{Handler, HandlerError};
use crate::inbox::{Claim, Inbox, InboxError};
use crate::metrics::{self, received};
use crate::open::Opener;
use crate::push::Push;
use crate::query::PushQuery;
use crate::reply::{Answer, Reply};
use crate::stored::{Stored, StoredEvent};
use crate::worker::Worker;

/// Why the receiver did not answer success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The push was refused before any handler saw it.
    #[error(transparent)]
    Push(#[from] PushError),
    /// The handler failed.
    #[error("the handler failed: {0}")]
    Handler(HandlerError),
    /// The handler did not finish within the budget; its future was dropped.
    #[error("the handler did not finish within {0:?}")]
    Timeout(Duration),
    /// Another request is handling the same event.
    #[error("the event is being handled by another request")]
    InProgress,
    /// The inbox failed.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// The reply could not be built (the random source failed).
    #[error(transparent)]
    Seal(#[from] crate::error::SealError),
}

impl Refusal {
    /// Whether WeChat should push again: yes for everything but a push refused for good.
    pub fn retry(&self) -> Retry {
        match self {
            Self::Push(err) => err.retry(),
            _ => Retry::Yes,
        }
    }
}

/// A refused push: the reason and the reply to send.
#[derive(Debug)]
pub struct Refused {
    reason: Refusal,
    reply: Reply,
}

impl Refused {
    /// Why.
    pub fn reason(&self) -> &Refusal {
        &self.reason
    }

    /// Whether WeChat should push again.
    pub fn retry(&self) -> Retry {
        self.reason.retry()
    }

    /// The reply to send: the family's failure reply (so WeChat re-pushes) when the push was
    /// opened, HTTP 400/503 text otherwise.
    pub fn reply(&self) -> &Reply {
        &self.reply
    }
}

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.reason.fmt(f)
    }
}

impl std::error::Error for Refused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.reason)
    }
}

/// When the receiver answers success: after the handler ran, or as soon as the event is stored.
///
/// | | [`AfterHandling`](Self::AfterHandling) (default) | [`AfterStoring`](Self::AfterStoring) |
/// |---|---|---|
/// | handler runs | inside WeChat's 3 s, in the request | later, in a [`Worker`], with retries |
/// | a failing handler | answered with a failure; WeChat re-pushes on its schedule | tried again with backoff; after the last attempt it *needs attention* |
/// | the inbox holds | answers | answers and the stored events (message, key, envelope) |
/// | choose it when | the handler is fast and its failure should make WeChat retry | the handler is slow or depends on services that may be down, or the push rate is high: WeChat's schedule then no longer drives the retries, the service does |
///
/// An event whose reply carries a decision cannot be acknowledged before the handler decided:
/// the iOS refund query (`xpay_subscribe_ios_refund_query_notify`,
/// [`Event::answer_carries_decision`](crate::Event::answer_carries_decision)) is handled in the
/// request in both modes. Mock pushes are answered success without the handler in both modes.
/// Use a durable inbox with `AfterStoring`: an acknowledged event lives only in the inbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Acknowledge {
    /// Synchronous: run the handler inside the answer budget, answer success only if it
    /// succeeded.
    #[default]
    AfterHandling,
    /// Persist-then-ack: store the verified event durably, answer success at once, and let a
    /// [`Worker`] run the handler until it succeeds.
    AfterStoring,
}

/// Receives pushes: verification, exactly-once, the handler (or the store), the reply.
///
/// ```
/// use midas_push::{Answer, HandlerError, ManualClock, MemoryInbox, Opener, Push, PushConfig, Receiver, Seal};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
/// let config = PushConfig::builder().token("AAAAA").app_id("wx1").build()?;
/// let sealed = Seal::new(r#"{"Event":"xpay_complaint_notify","ComplaintId":"c1"}"#, 1714112445, "1")
///     .seal(&config)?;
/// let opener = Opener::new(config).with_clock(ManualClock::new(1714112445));
/// let handler = |push: Push| async move {
///     assert_eq!(push.event_key().as_str(), "xpay_complaint_notify:c1");
///     Ok::<_, HandlerError>(Answer::Success)
/// };
/// let receiver = Receiver::new(opener, handler, MemoryInbox::new());
/// let reply = receiver.receive(&sealed.query, &sealed.body).await?;
/// assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })
/// # }
/// ```
///
/// Persist-then-ack: the push is acknowledged once stored, and the worker runs the handler.
///
/// ```
/// use midas_push::{Acknowledge, Answer, HandlerError, ManualClock, MemoryInbox, Opener, Push, PushConfig, Receiver, Seal};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
/// let config = PushConfig::builder().token("AAAAA").app_id("wx1").build()?;
/// let sealed = Seal::new(r#"{"Event":"xpay_complaint_notify","ComplaintId":"c1"}"#, 1714112445, "1")
///     .seal(&config)?;
/// let opener = Opener::new(config).with_clock(ManualClock::new(1714112445));
/// let handler = |push: Push| async move { Ok::<_, HandlerError>(Answer::Success) };
/// let receiver = Receiver::new(opener, handler, MemoryInbox::new()).acknowledge(Acknowledge::AfterStoring);
/// let worker = receiver.worker(); // in a service: tokio::spawn(worker.run())
/// let reply = receiver.receive(&sealed.query, &sealed.body).await?;
/// assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
/// assert_eq!(worker.process_pending().await?.handled, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })
/// # }
/// ```
#[derive(Debug)]
pub struct Receiver<H, I> {
    opener: Opener,
    handler: Arc<H>,
    inbox: Arc<I>,
    budget: Duration,
    deliver_mocks: bool,
    acknowledge: Acknowledge,
    wake: Arc<Notify>,
}

impl<H: Handler, I: Inbox> Receiver<H, I> {
    /// The default handler budget: 2.5 s, inside WeChat's 3 s with room for the reply.
    pub const DEFAULT_BUDGET: Duration = Duration::from_millis(2500);

    /// A receiver that opens with `opener`, runs `handler` and remembers answers in `inbox`,
    /// in the synchronous mode ([`Acknowledge::AfterHandling`]).
    pub fn new(opener: Opener, handler: H, inbox: I) -> Self {
        Self {
            opener,
            handler: Arc::new(handler),
            inbox: Arc::new(inbox),
            budget: Self::DEFAULT_BUDGET,
            deliver_mocks: false,
            acknowledge: Acknowledge::AfterHandling,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The handler budget in the request (default [`Self::DEFAULT_BUDGET`]). A handler still
    /// running then is dropped at its next `.await`, its claim abandoned, and the push
    /// answered with a failure.
    #[must_use]
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// When to answer success (default [`Acknowledge::AfterHandling`]). With
    /// [`Acknowledge::AfterStoring`], run a [`Worker`] ([`Self::worker`]).
    #[must_use]
    pub fn acknowledge(mut self, acknowledge: Acknowledge) -> Self {
        self.acknowledge = acknowledge;
        self
    }

    /// Whether mock pushes (`IsMock: true`) reach the handler (default: no — they are
    /// verified, decoded and answered success, as documented, and no business logic runs).
    #[must_use]
    pub fn deliver_mocks(mut self, deliver: bool) -> Self {
        self.deliver_mocks = deliver;
        self
    }

    /// A worker of this receiver's stored events: the same handler, inbox and clock, woken
    /// whenever this receiver stores an event. Take as many as wanted; they never run one
    /// event at once.
    pub fn worker(&self) -> Worker<H, I> {
        Worker::shared(
            Arc::clone(&self.handler),
            Arc::clone(&self.inbox),
            self.opener.shared_clock(),
            Arc::clone(&self.wake),
        )
    }

    /// The opener.
    pub fn opener(&self) -> &Opener {
        &self.opener
    }

    /// The inbox.
    pub fn inbox(&self) -> &I {
        &self.inbox
    }

    /// When this receiver answers success.
    pub fn acknowledgement(&self) -> Acknowledge {
        self.acknowledge
    }

    /// Answers the activation GET from its raw query string.
    pub fn echo(&self, query: &str) -> Result<Reply, Refused> {
        let opened = PushQuery::parse(query).and_then(|query| self.opener.echo(&query));
        opened.map(Reply::echo).map_err(|err| Refused { reply: Reply::refused(&err), reason: err.into() })
    }

    /// Receives one POSTed push given its raw query string and body.
    pub async fn receive(&self, query: &str, body: &[u8]) -> Result<Reply, Refused> {
        let push = match self.opener.open_raw(query, body) {
            Ok(push) => push,
            Err(err) => {
                // A push whose signature or AppID does not check out did not come from WeChat.
                let forged = matches!(err, PushError::BadSignature(_) | PushError::AppIdMismatch);
                received(if forged { "forged" } else { "refused" });
                return Err(Refused { reply: Reply::refused(&err), reason: err.into() });
            }
        };
        let outcome = if push.is_mock() && !self.deliver_mocks {
            received("mock");
            Ok(Answer::Success)
        } else if self.acknowledge == Acknowledge::AfterStoring && !push.event().answer_carries_decision() {
            self.store(&push).await
        } else {
            self.handle(&push).await
        };
        let config = self.opener.config();
        match outcome
            .and_then(|answer| Ok(Reply::for_answer(&push, &answer, config, self.opener.clock().now())?))
        {
            Ok(reply) => Ok(reply),
            Err(reason) => {
                received(if matches!(reason, Refusal::InProgress) { "in_progress" } else { "failed" });
                self.opener.forget(&push);
                let reply = Reply::failure(push.family(), push.format(), &failure_message(&reason));
                Err(Refused { reason, reply })
            }
        }
    }

    /// Persist-then-ack: keep the event for a worker; the answer to send now.
    async fn store(&self, push: &Push) -> Result<Answer, Refusal> {
        match self.inbox.store(&StoredEvent::new(push)).await? {
            Stored::New => {
                received("stored");
                self.wake.notify_one();
                Ok(Answer::Success)
            }
            Stored::Queued => {
                received("duplicate");
                Ok(Answer::Success)
            }
            Stored::Done(answer) => {
                received("duplicate");
                Ok(answer)
            }
            Stored::InProgress => Err(Refusal::InProgress),
        }
    }

    /// Synchronous: claim, run the handler within the budget, complete or abandon.
    async fn handle(&self, push: &Push) -> Result<Answer, Refusal> {
        let key = push.event_key();
        match self.inbox.claim(&key).await? {
            Claim::Done(answer) => {
                received("duplicate");
                return Ok(answer);
            }
            Claim::Queued => {
                received("duplicate");
                return Ok(Answer::Success);
            }
            Claim::InProgress => return Err(Refusal::InProgress),
            Claim::First => {}
        }
        let started = std::time::Instant::now();
        let outcome = match tokio::time::timeout(self.budget, self.handler.handle(push)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(err)) => Err(Refusal::Handler(err)),
            Err(_) => Err(Refusal::Timeout(self.budget)),
        };
        metrics::handler_seconds(started.elapsed().as_secs_f64());
        match outcome {
            Ok(answer) => {
                self.inbox.complete(&key, &answer).await?;
                received("handled");
                Ok(answer)
            }
            Err(reason) => {
                // The claim must not outlive the failure, or the re-push would wait for the lease.
                self.inbox.abandon(&key).await?;
                Err(reason)
            }
        }
    }
}

/// `ErrMsg` of a failure reply: the handler's own message, or the reason.
fn failure_message(reason: &Refusal) -> String {
    match reason {
        Refusal::Handler(err) => err.to_string(),
        other => other.to_string(),
    }
}

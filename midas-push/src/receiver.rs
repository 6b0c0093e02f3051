//! The receiver: open, claim, run the handler inside the answer budget, store the answer,
//! reply — so that every repeat of an event gets the first answer and the handler runs once.

use core::future::Future;
use core::time::Duration;

use crate::error::{PushError, Retry};
use crate::inbox::{Claim, Inbox, InboxError};
use crate::open::Opener;
use crate::push::Push;
use crate::query::PushQuery;
use crate::reply::{Answer, Reply};

/// A handler's refusal: the push is answered with a failure and WeChat pushes it again.
///
/// ```
/// use midas_push::HandlerError;
/// let err = HandlerError::new("inventory service unavailable");
/// assert_eq!(err.to_string(), "inventory service unavailable");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    /// A failure described by `message` (sent back to WeChat as `ErrMsg`: keep it free of
    /// secrets and personal data).
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// A failure caused by `source`; only `message` is sent back.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self { message: message.into(), source: Some(Box::new(source)) }
    }
}

/// The business logic of a push: deliver, refund, decide. It runs once per event, inside
/// the answer budget, and its answer is what every repeat of the event gets.
///
/// Closures `Fn(Push) -> impl Future<Output = Result<Answer, HandlerError>>` are handlers;
/// so is any type implementing this trait:
///
/// ```
/// use midas_push::{Answer, Event, Handler, HandlerError, Push};
///
/// struct Shop;
///
/// impl Handler for Shop {
///     async fn handle(&self, push: &Push) -> Result<Answer, HandlerError> {
///         match push.event() {
///             Event::XpayGoodsDeliver(delivery) if delivery.goods_info.quantity.is_none() => {
///                 Err(HandlerError::new("no quantity"))
///             }
///             // Grant the goods of `delivery.out_trade_no` here.
///             _ => Ok(Answer::Success),
///         }
///     }
/// }
/// ```
pub trait Handler: Send + Sync {
    /// Handles one verified push.
    fn handle(&self, push: &Push) -> impl Future<Output = Result<Answer, HandlerError>> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(Push) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Answer, HandlerError>> + Send,
{
    fn handle(&self, push: &Push) -> impl Future<Output = Result<Answer, HandlerError>> + Send {
        self(push.clone())
    }
}

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

/// Receives pushes: verification, exactly-once, the handler, the reply.
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
#[derive(Debug)]
pub struct Receiver<H, I> {
    opener: Opener,
    handler: H,
    inbox: I,
    budget: Duration,
    deliver_mocks: bool,
}

impl<H: Handler, I: Inbox> Receiver<H, I> {
    /// The default handler budget: 2.5 s, inside WeChat's 3 s with room for the reply.
    pub const DEFAULT_BUDGET: Duration = Duration::from_millis(2500);

    /// A receiver that opens with `opener`, runs `handler` and remembers answers in `inbox`.
    pub fn new(opener: Opener, handler: H, inbox: I) -> Self {
        Self { opener, handler, inbox, budget: Self::DEFAULT_BUDGET, deliver_mocks: false }
    }

    /// The handler budget (default [`Self::DEFAULT_BUDGET`]). A handler still running then is
    /// dropped at its next `.await`, its claim abandoned, and the push answered with a failure.
    #[must_use]
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Whether mock pushes (`IsMock: true`) reach the handler (default: no — they are
    /// verified, decoded and answered success, as documented, and no business logic runs).
    #[must_use]
    pub fn deliver_mocks(mut self, deliver: bool) -> Self {
        self.deliver_mocks = deliver;
        self
    }

    /// The opener.
    pub fn opener(&self) -> &Opener {
        &self.opener
    }

    /// The inbox.
    pub fn inbox(&self) -> &I {
        &self.inbox
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
        match self.handle(&push).await {
            Ok(reply) => Ok(reply),
            Err(reason) => {
                received(if matches!(reason, Refusal::InProgress) { "in_progress" } else { "failed" });
                self.opener.forget(&push);
                let reply = Reply::failure(push.family(), push.format(), &failure_message(&reason));
                Err(Refused { reason, reply })
            }
        }
    }

    async fn handle(&self, push: &Push) -> Result<Reply, Refusal> {
        let config = self.opener.config();
        let now = self.opener.clock().now();
        if push.is_mock() && !self.deliver_mocks {
            received("mock");
            return Ok(Reply::for_answer(push, &Answer::Success, config, now)?);
        }
        let key = push.event_key();
        match self.inbox.claim(&key).await? {
            Claim::Done(answer) => {
                received("duplicate");
                return Ok(Reply::for_answer(push, &answer, config, now)?);
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
        metrics::histogram!(HANDLER_SECONDS).record(started.elapsed().as_secs_f64());
        match outcome {
            Ok(answer) => {
                self.inbox.complete(&key, &answer).await?;
                received("handled");
                Ok(Reply::for_answer(push, &answer, config, now)?)
            }
            Err(reason) => {
                // The claim must not outlive the failure, or the re-push would wait for the lease.
                self.inbox.abandon(&key).await?;
                Err(reason)
            }
        }
    }
}

/// Pushes received, by `result`: `handled` (the handler ran and succeeded), `duplicate` (a
/// repeat answered from the inbox), `mock`, `in_progress`, `failed` (the handler failed or
/// timed out), `forged` (a signature or AppID that does not check out), `refused` (malformed,
/// stale, replayed, too large).
pub const RECEIVED: &str = "midas_push_received_total";
/// Seconds the handler took, per run.
pub const HANDLER_SECONDS: &str = "midas_push_handler_seconds";

fn received(result: &'static str) {
    metrics::counter!(RECEIVED, "result" => result).increment(1);
}

/// `ErrMsg` of a failure reply: the handler's own message, or the reason.
fn failure_message(reason: &Refusal) -> String {
    match reason {
        Refusal::Handler(err) => err.to_string(),
        other => other.to_string(),
    }
}

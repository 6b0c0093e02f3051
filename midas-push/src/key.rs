//! The key that makes a push exactly-once: one per business event, equal for every repeat.

use core::fmt;

/// What an [`EventKey`] identifies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// A delivery (goods or coins, xpay or mini game), keyed by `OutTradeNo`.
    Delivery,
    /// A refund, keyed by its refund id (`MchRefundId` or `RefundId`).
    Refund,
    /// Any other event, keyed by the event name (or `MsgType`) and an id.
    Other(String),
}

/// The exactly-once key of a push.
///
/// Its text, [`EventKey::as_str`], is `delivery:<OutTradeNo>`, `refund:<refund id>` or
/// `<event>:<id>`: the prefix keeps a refund whose id equals an order number apart from
/// that order's delivery. [`EventKey::id`] is the bare id.
///
/// ```
/// use midas_push::{EventKey, KeyKind};
/// let key = EventKey::new(KeyKind::Delivery, "order-0001");
/// assert_eq!(key.as_str(), "delivery:order-0001");
/// assert_eq!(key.id(), "order-0001");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventKey {
    kind: KeyKind,
    text: String,
    id_start: usize,
}

impl EventKey {
    /// The key of `id` within `kind`.
    pub fn new(kind: KeyKind, id: &str) -> Self {
        let prefix = match &kind {
            KeyKind::Delivery => "delivery",
            KeyKind::Refund => "refund",
            KeyKind::Other(event) => event.as_str(),
        };
        let text = format!("{prefix}:{id}");
        let id_start = prefix.len() + 1;
        Self { kind, text, id_start }
    }

    /// Reads back the text of [`Self::as_str`]: `delivery:…`, `refund:…` or `<event>:…`.
    /// The text round-trips exactly; the kind is read from the prefix.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (prefix, id) = text.split_once(':')?;
        let kind = match prefix {
            "delivery" => KeyKind::Delivery,
            "refund" => KeyKind::Refund,
            event => KeyKind::Other(event.to_owned()),
        };
        Some(Self::new(kind, id))
    }

    /// What the key identifies.
    pub fn kind(&self) -> &KeyKind {
        &self.kind
    }

    /// The bare id: the `OutTradeNo` of a delivery, the refund id of a refund.
    pub fn id(&self) -> &str {
        &self.text[self.id_start..]
    }

    /// The full key text, what an [`Inbox`](crate::Inbox) stores.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

//! Starting a cash purchase: the parameters the game server signs for the client's
//! `wx.requestVirtualPayment` (mini programs: direct goods purchase, token recharge) or
//! `wx.requestMidasPaymentGameItem` (mini games: direct item purchase).
//!
//! - `signData`: a JSON text, written here field by field in a fixed order (the client must
//!   pass this exact text on).
//! - `paySig = hex(HMAC-SHA256(AppKey of env, "<api>&" + signData))`, `<api>` being
//!   `requestVirtualPayment` or `requestMidasPaymentGameItem`.
//! - `signature = hex(HMAC-SHA256(session_key, signData))`.
//!
//! Everything is checked before anything is signed or stored: `outTradeNo` (8–32 characters of
//! `[0-9A-Za-z_-]`, not starting with `_`), the quantity (at least 1), the unit price (above
//! zero; the total in fen must fit an `i64`), the product id and `attach`. The reference
//! gives no length for `attach`: at most [`ATTACH_MAX_BYTES`] bytes are accepted, as WeChat
//! Pay's own `attach` takes.

use midas_core::{
    AppKey, Env, Error, JsonObject, Rule, SessionKey, Transport, ValidationError, body_signed, rules,
};

use crate::client::Client;
use crate::player::Player;
use crate::token::TokenSource;

/// The most `attach` bytes a launch takes (undocumented by WeChat; WeChat Pay's `attach` is
/// 127 characters).
pub const ATTACH_MAX_BYTES: usize = 128;

/// The client API a launch is signed for: also the `uri` of its `paySig`.
///
/// ```
/// use midas_api::purchase::LaunchApi;
/// assert_eq!(LaunchApi::VirtualPayment.name(), "requestVirtualPayment");
/// assert_eq!(LaunchApi::MidasPaymentGameItem.name(), "requestMidasPaymentGameItem");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LaunchApi {
    /// `wx.requestVirtualPayment` (mini programs): goods (`short_series_goods`) or token
    /// recharge (`short_series_coin`).
    VirtualPayment,
    /// `wx.requestMidasPaymentGameItem` (mini games): direct item purchase (`mode: "goods"`).
    MidasPaymentGameItem,
}

impl LaunchApi {
    /// The API's name, the `uri` of `paySig`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::VirtualPayment => "requestVirtualPayment",
            Self::MidasPaymentGameItem => "requestMidasPaymentGameItem",
        }
    }

    /// The API of a name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::VirtualPayment, Self::MidasPaymentGameItem].into_iter().find(|api| api.name() == name)
    }
}

/// What the player buys.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// `quantity` of the item `product_id` at `unit_price` fen each (`goodsPrice`, checked by
    /// WeChat against the published price).
    Goods {
        /// `productId`.
        product_id: String,
        /// `goodsPrice`: fen per item.
        unit_price: i64,
        /// `buyQuantity`.
        quantity: i64,
    },
    /// `quantity` tokens (coins) at the price the platform sets (`short_series_coin`).
    Coins {
        /// `buyQuantity`.
        quantity: i64,
    },
}

/// A cash purchase, checked: its `outTradeNo`, what is bought, and the `attach` text the
/// delivery push carries back.
///
/// ```
/// use midas_api::purchase::CashOrder;
/// use midas_api::Rule;
/// let order = CashOrder::goods("order-0001", "sword", 600, 2)?.with_attach("season-3")?;
/// assert_eq!(order.total_fee(), Some(1200));
/// assert_eq!(CashOrder::goods("_order-0001", "sword", 600, 1).expect_err("leading _").rule(), &Rule::OutTradeNo);
/// assert_eq!(CashOrder::goods("order-0001", "sword", i64::MAX, 2).expect_err("overflows").field(), "goodsPrice");
/// assert_eq!(CashOrder::coins("order-0002", 0).expect_err("nothing").field(), "buyQuantity");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashOrder {
    out_trade_no: String,
    item: Item,
    total_fee: Option<i64>,
    attach: String,
}

impl CashOrder {
    /// `quantity` × `product_id` at `unit_price` fen each.
    pub fn goods(
        out_trade_no: impl Into<String>,
        product_id: impl Into<String>,
        unit_price: i64,
        quantity: i64,
    ) -> Result<Self, ValidationError> {
        let (out_trade_no, product_id) = (out_trade_no.into(), product_id.into());
        rules::out_trade_no("outTradeNo", &out_trade_no)?;
        rules::text("productId", &product_id)?;
        rules::positive("goodsPrice", &unit_price)?;
        rules::positive("buyQuantity", &quantity)?;
        let total = unit_price.checked_mul(quantity).ok_or_else(|| {
            let max = u64::try_from(i64::MAX / quantity).unwrap_or_default();
            ValidationError::new("goodsPrice", Rule::Range { min: 1, max })
        })?;
        Ok(Self {
            out_trade_no,
            item: Item::Goods { product_id, unit_price, quantity },
            total_fee: Some(total),
            attach: String::new(),
        })
    }

    /// `quantity` tokens (a token recharge; `wx.requestVirtualPayment` only).
    pub fn coins(out_trade_no: impl Into<String>, quantity: i64) -> Result<Self, ValidationError> {
        let out_trade_no = out_trade_no.into();
        rules::out_trade_no("outTradeNo", &out_trade_no)?;
        rules::positive("buyQuantity", &quantity)?;
        Ok(Self { out_trade_no, item: Item::Coins { quantity }, total_fee: None, attach: String::new() })
    }

    /// Sets `attach` (at most [`ATTACH_MAX_BYTES`] bytes, no control characters).
    pub fn with_attach(mut self, attach: impl Into<String>) -> Result<Self, ValidationError> {
        let attach = attach.into();
        rules::max_bytes("attach", &attach, ATTACH_MAX_BYTES)?;
        self.attach = attach;
        Ok(self)
    }

    /// The `outTradeNo`.
    pub fn out_trade_no(&self) -> &str {
        &self.out_trade_no
    }

    /// What is bought.
    pub fn item(&self) -> &Item {
        &self.item
    }

    /// The price in fen (goods; a token price is the platform's).
    pub fn total_fee(&self) -> Option<i64> {
        self.total_fee
    }

    /// The `attach` text.
    pub fn attach(&self) -> &str {
        &self.attach
    }

    /// `goods` or `coins`.
    pub fn kind(&self) -> &'static str {
        match self.item {
            Item::Goods { .. } => "goods",
            Item::Coins { .. } => "coins",
        }
    }
}

/// What the launch is signed with and for: the app's `offerId`, the environment, the
/// environment's virtual-payment AppKey, the player's session key and (mini games) zone.
/// `Debug` shows no key.
#[derive(Clone, Copy, Debug)]
pub struct LaunchContext<'a> {
    /// The `offerId` (MP → virtual payment → basic configuration).
    pub offer_id: &'a str,
    /// The environment: `env` in `signData`, and which AppKey signs.
    pub env: Env,
    /// The AppKey of `env`.
    pub app_key: &'a AppKey,
    /// The player's current session key.
    pub session_key: &'a SessionKey,
    /// The zone (`zoneId`, mini-game item purchases).
    pub zone_id: &'a str,
}

/// The signed parameters the client passes to its payment API, exactly as they are.
///
/// `Debug` shows them all: none is a secret (the client receives them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchParams {
    /// The API they are for.
    pub api: LaunchApi,
    /// `mode`: `short_series_goods` or `short_series_coin` (`requestVirtualPayment`), `goods`
    /// (inside `signData` for `requestMidasPaymentGameItem`).
    pub mode: &'static str,
    /// `signData`, the exact text signed.
    pub sign_data: String,
    /// `paySig`.
    pub pay_sig: String,
    /// `signature`.
    pub signature: String,
}

impl LaunchParams {
    /// The object to hand to the client: `{"mode","signData","paySig","signature"}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "mode": self.mode,
            "signData": self.sign_data,
            "paySig": self.pay_sig,
            "signature": self.signature,
        })
        .to_string()
    }
}

/// Signs `order` for `api` in `context`. A token recharge cannot be launched with
/// `requestMidasPaymentGameItem` (mini-game tokens are bought with `requestMidasPayment`).
///
/// ```
/// use midas_api::{AppKey, Env, SessionKey};
/// use midas_api::purchase::{CashOrder, LaunchApi, LaunchContext, sign_launch};
/// let (app_key, session_key) = (AppKey::new("12345")?, SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==")?);
/// let context = LaunchContext { offer_id: "1450000000", env: Env::Sandbox, app_key: &app_key, session_key: &session_key, zone_id: "1" };
/// let order = CashOrder::goods("order-0001", "sword", 600, 1)?.with_attach("a")?;
/// let launch = sign_launch(LaunchApi::VirtualPayment, &order, &context)?;
/// assert_eq!(launch.mode, "short_series_goods");
/// assert_eq!(
///     launch.sign_data,
///     r#"{"offerId":"1450000000","buyQuantity":1,"env":1,"currencyType":"CNY","productId":"sword","goodsPrice":600,"outTradeNo":"order-0001","attach":"a"}"#
/// );
/// assert_eq!(launch.pay_sig.len(), 64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_launch(
    api: LaunchApi,
    order: &CashOrder,
    context: &LaunchContext<'_>,
) -> Result<LaunchParams, ValidationError> {
    rules::text("offerId", context.offer_id)?;
    let mut sign_data = Vec::with_capacity(256);
    let mut object = JsonObject::new(&mut sign_data);
    let env = context.env.pick(0_i64, 1);
    let mode = match (api, &order.item) {
        (LaunchApi::VirtualPayment, Item::Goods { product_id, unit_price, quantity }) => {
            object.field("offerId", context.offer_id);
            object.field("buyQuantity", quantity);
            object.field("env", &env);
            object.field("currencyType", "CNY");
            object.field("productId", product_id.as_str());
            object.field("goodsPrice", unit_price);
            "short_series_goods"
        }
        (LaunchApi::VirtualPayment, Item::Coins { quantity }) => {
            object.field("offerId", context.offer_id);
            object.field("buyQuantity", quantity);
            object.field("env", &env);
            object.field("currencyType", "CNY");
            "short_series_coin"
        }
        (LaunchApi::MidasPaymentGameItem, Item::Goods { product_id, unit_price, quantity }) => {
            rules::text("zoneId", context.zone_id)?;
            object.field("mode", "goods");
            object.field("offerId", context.offer_id);
            object.field("buyQuantity", quantity);
            object.field("env", &env);
            object.field("currencyType", "CNY");
            object.field("platform", "android");
            object.field("zoneId", context.zone_id);
            object.field("productId", product_id.as_str());
            object.field("goodsPrice", unit_price);
            "goods"
        }
        (LaunchApi::MidasPaymentGameItem, Item::Coins { .. }) => {
            return Err(ValidationError::new("mode", Rule::Required));
        }
    };
    object.field("outTradeNo", order.out_trade_no.as_str());
    object.field("attach", order.attach.as_str());
    object.finish();
    let pay_sig = body_signed::pay_sig(context.app_key, api.name(), &sign_data);
    let signature = body_signed::signature(context.session_key, &sign_data);
    // Written from `&str` values and integers only: valid UTF-8.
    let sign_data = String::from_utf8_lossy(&sign_data).into_owned();
    Ok(LaunchParams {
        api,
        mode,
        sign_data,
        pay_sig: pay_sig.as_str().to_owned(),
        signature: signature.as_str().to_owned(),
    })
}

impl<T: Transport, K: TokenSource> Client<T, K> {
    /// Signs the launch parameters of `order` for `player` (who needs a session key) with the
    /// virtual-payment AppKey of the configured environment. With a journal
    /// ([`Client::with_journal`](crate::Client::with_journal), feature `journal`) the
    /// purchase is first recorded as awaiting payment, committed, so that its delivery push
    /// finds it; the same order again signs the same parameters, another order under its
    /// `outTradeNo` is refused ([`JournalFailureKind::OrderIdReused`](crate::JournalFailureKind)).
    /// Nothing is sent to WeChat.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{AccessToken, AppKey, Client, Config, Env, Error, Player, SessionKey, StaticToken};
    /// use midas_api::purchase::{CashOrder, LaunchApi};
    /// let config = Config::builder("wx1234567", "1450000000", Env::Sandbox)
    ///     .payment_sandbox_key(AppKey::new("virtual-payment-key")?)
    ///     .build()?;
    /// let client = Client::new(config, StaticToken::new(AccessToken::new("TOKEN")?))?;
    /// let player = Player::new("player-1").with_session_key(SessionKey::new("session-key-1")?);
    /// let order = CashOrder::goods("order-0001", "sword", 600, 1)?;
    /// let launch = client.launch(&player, LaunchApi::VirtualPayment, &order).await?;
    /// assert!(launch.to_json().contains(r#""mode":"short_series_goods""#));
    /// let refused = client.launch(&Player::new("player-1"), LaunchApi::VirtualPayment, &order).await;
    /// assert!(matches!(refused, Err(Error::Validation(e)) if e.field() == "session_key"));
    /// # Ok(()) }
    /// ```
    pub async fn launch(
        &self,
        player: &Player,
        api: LaunchApi,
        order: &CashOrder,
    ) -> Result<LaunchParams, Error> {
        let config = self.config();
        let app_key = config.payment_key()?;
        let session_key =
            player.session_key().ok_or_else(|| ValidationError::new("session_key", Rule::Required))?;
        rules::text("openid", player.openid())?;
        let context = LaunchContext {
            offer_id: config.offer_id(),
            env: config.env(),
            app_key,
            session_key,
            zone_id: player.zone_id(),
        };
        let launch = sign_launch(api, order, &context)?;
        #[cfg(feature = "journal")]
        if let Some(journal) = self.journal() {
            record_launch(journal, config.env(), player, order, &launch).await?;
        }
        Ok(launch)
    }
}

/// Records a launched purchase as awaiting payment (see [`Client::launch`]).
#[cfg(feature = "journal")]
async fn record_launch(
    journal: &midas_journal::Journal,
    env: Env,
    player: &Player,
    order: &CashOrder,
    launch: &LaunchParams,
) -> Result<(), Error> {
    let (product_id, quantity) = match order.item() {
        Item::Goods { product_id, quantity, .. } => (Some(product_id.clone()), *quantity),
        Item::Coins { quantity } => (None, *quantity),
    };
    let intent = midas_journal::PurchaseIntent {
        env: env.as_str().to_owned(),
        out_trade_no: order.out_trade_no().to_owned(),
        openid: player.openid().to_owned(),
        zone_id: player.zone_id().to_owned(),
        launch_api: launch.api.name().to_owned(),
        kind: order.kind().to_owned(),
        product_id,
        quantity,
        total_fee: order.total_fee(),
        attach: order.attach().to_owned(),
        sign_data: launch.sign_data.clone(),
    };
    journal
        .await_payment(&intent)
        .await
        .map(drop)
        .map_err(|error| crate::journaled::refusal(launch.api.name(), order.out_trade_no(), &error))
}

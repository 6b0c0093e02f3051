//! The Midas 2.0 and xpay calls, beside the Midas 1.0 calls of [`Client`]. Each is one line over
//! [`Client::call`]: the generation is the request's data, not another path.

use midas_core::{Error, Transport};

use crate::client::Client;
use crate::player::Player;
use crate::token::TokenSource;
use crate::{v2, xpay};

/// The Midas 2.0 calls of a client: `client.v2().pay(..)` (an example is at [`Client::v2`]).
/// Same validation and retry rules as the 1.0 calls, keyed on each request's `bill_no`.
#[derive(Debug)]
pub struct V2<'a, T, K> {
    client: &'a Client<T, K>,
}

/// The xpay calls of a client: `client.xpay().currency_pay(..)` (an example is at
/// [`Client::xpay`]). Same validation and retry rules, keyed on each request's `order_id`.
#[derive(Debug)]
pub struct Xpay<'a, T, K> {
    client: &'a Client<T, K>,
}

impl<T: Transport, K: TokenSource> Client<T, K> {
    /// The Midas 2.0 (`/wxa/game/*`) calls. They need the virtual-payment AppKey
    /// ([`ConfigBuilder::payment_sandbox_key`](crate::ConfigBuilder::payment_sandbox_key)) and
    /// the player's session key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use midas_api::{Client, Config, Env, SessionKey, StaticToken};
    /// # let emulator = midas_emulator::Emulator::start().await?;
    /// # let session_key = SessionKey::new("session-key-1")?;
    /// # emulator.add_player("player-1", session_key.clone(), 100);
    /// # let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
    /// #     .payment_sandbox_key(emulator.payment_sandbox_key().clone())
    /// #     .base_url(emulator.base_url())
    /// #     .build()?;
    /// # let client = Client::new(config, StaticToken::new(emulator.access_token()))?;
    /// // `client` has the sandbox virtual-payment AppKey of a local emulator, where
    /// // "player-1" has 100 coins.
    /// use midas_api::{Player, v2};
    /// let player = Player::new("player-1").with_session_key(session_key);
    /// let pay = v2::Pay { amount: 30, bill_no: "order-0001".into(), payitem: None, remark: None };
    /// assert_eq!(client.v2().pay(&player, pay).await?.balance, 70);
    /// # Ok(()) }
    /// ```
    pub fn v2(&self) -> V2<'_, T, K> {
        V2 { client: self }
    }

    /// The xpay (`/xpay/*`) calls. They need the virtual-payment AppKey; `currency_pay` and the
    /// other calls with the player's `signature` also need its session key and IP.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use midas_api::{Client, Config, Env, SessionKey, StaticToken};
    /// # let emulator = midas_emulator::Emulator::start().await?;
    /// # let session_key = SessionKey::new("session-key-1")?;
    /// # emulator.add_player("player-1", session_key.clone(), 100);
    /// # let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
    /// #     .payment_sandbox_key(emulator.payment_sandbox_key().clone())
    /// #     .base_url(emulator.base_url())
    /// #     .build()?;
    /// # let client = Client::new(config, StaticToken::new(emulator.access_token()))?;
    /// // `client` has the sandbox virtual-payment AppKey of a local emulator, where
    /// // "player-1" has 100 coins.
    /// use midas_api::{Player, xpay};
    /// let player = Player::new("player-1").with_session_key(session_key).with_user_ip("203.0.113.7");
    /// let pay =
    ///     xpay::CurrencyPay { amount: 30, order_id: "order-0001".into(), payitem: None, remark: None };
    /// assert_eq!(client.xpay().currency_pay(&player, pay).await?.balance, 70);
    /// # Ok(()) }
    /// ```
    pub fn xpay(&self) -> Xpay<'_, T, K> {
        Xpay { client: self }
    }
}

impl<T: Transport, K: TokenSource> V2<'_, T, K> {
    /// `pay_v2.getBalance`.
    pub async fn get_balance(&self, player: &Player) -> Result<v2::BalanceResponse, Error> {
        self.client.call(player, &v2::GetBalance::default()).await
    }

    /// `pay_v2.pay`.
    pub async fn pay(&self, player: &Player, request: v2::Pay) -> Result<v2::PayResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `pay_v2.cancelPay` (partial refunds allowed).
    pub async fn cancel_pay(
        &self,
        player: &Player,
        request: v2::CancelPay,
    ) -> Result<v2::CancelPayResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `pay_v2.present`.
    pub async fn present(&self, player: &Player, request: v2::Present) -> Result<v2::PresentResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `pay_v2.queryOrder`.
    pub async fn query_order(
        &self,
        player: &Player,
        request: v2::QueryOrder,
    ) -> Result<v2::QueryOrderResponse, Error> {
        self.client.call(player, &request).await
    }
}

impl<T: Transport, K: TokenSource> Xpay<'_, T, K> {
    /// `query_user_balance`.
    pub async fn query_user_balance(&self, player: &Player) -> Result<xpay::UserBalanceResponse, Error> {
        self.client.call(player, &xpay::QueryUserBalance {}).await
    }

    /// `currency_pay`.
    pub async fn currency_pay(
        &self,
        player: &Player,
        request: xpay::CurrencyPay,
    ) -> Result<xpay::CurrencyPayResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `cancel_currency_pay`.
    pub async fn cancel_currency_pay(
        &self,
        player: &Player,
        request: xpay::CancelCurrencyPay,
    ) -> Result<xpay::CancelCurrencyPayResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `present_currency`.
    pub async fn present_currency(
        &self,
        player: &Player,
        request: xpay::PresentCurrency,
    ) -> Result<xpay::PresentCurrencyResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `query_order`.
    pub async fn query_order(
        &self,
        player: &Player,
        request: xpay::QueryOrder,
    ) -> Result<xpay::QueryOrderResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `refund_order`: starts a refund task of a cash order (journaled by `refund_order_id`).
    pub async fn refund_order(
        &self,
        player: &Player,
        request: xpay::RefundOrder,
    ) -> Result<xpay::RefundOrderResponse, Error> {
        self.client.call(player, &request).await
    }

    /// `notify_provide_goods` (the player's openid is not sent).
    pub async fn notify_provide_goods(
        &self,
        player: &Player,
        request: xpay::NotifyProvideGoods,
    ) -> Result<xpay::NotifyProvideGoodsResponse, Error> {
        self.client.call(player, &request).await
    }
}

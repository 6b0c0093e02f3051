//! A local Midas server for tests, demos and services in any language: the three generations
//! of the WeChat Mini Game virtual-currency APIs over real HTTP on 127.0.0.1.
//!
//! | generation | paths | signatures | environment |
//! |---|---|---|---|
//! | Midas 1.0 | `/cgi-bin/midas/{getbalance,pay,cancelpay,present}`, and under `/cgi-bin/midas/sandbox/` | `sig` (app key), `mp_sig` (session key) in the body | the path |
//! | Midas 2.0 | `/wxa/game/{getbalance,pay,cancelpay,present,queryorderinfo}` | `pay_sig` (payment key), `signature` (session key), `sig_method` in the query | the body's `env` |
//! | xpay | `/xpay/{query_user_balance,currency_pay,cancel_currency_pay,present_currency,query_order,notify_provide_goods,refund_order}` | `pay_sig`, and `signature` for the first three, in the query | the body's `env` |
//!
//! Beside the coin books, desks serve the other `/xpay/*` APIs, each over state of its own that
//! tests drive as WeChat's or the players' side (see each desk for its rules and errcodes):
//!
//! | API | desk | what it does |
//! |---|---|---|
//! | `query_transfer_account` | [`AdFundsDesk`] | the bound ad-fund accounts and their review |
//! | `bind_transfer_accout` | [`AdFundsDesk`] | binds an account opened by [`AdFundsDesk::open_account`]; pending until [`AdFundsDesk::review_binding`] |
//! | `query_adver_funds` | [`AdFundsDesk`] | the grants of [`AdFundsDesk::grant_funds`], filtered and paged |
//! | `create_funds_bill` | [`AdFundsDesk`] | transfers from a grant to an approved account; 268490004 for a reused `request_id`; settled by [`AdFundsDesk::finish_funds_bill`] |
//! | `query_funds_bill` | [`AdFundsDesk`] | the transfers, by time window, bill id or `request_id` |
//! | `query_recover_bill` | [`AdFundsDesk`] | the recoveries of [`AdFundsDesk::recover_funds`] |
//! | `download_adverfunds_order` | [`AdFundsDesk`] | a link for a known grant |
//! | `get_complaint_list` | [`ComplaintsDesk`] | the complaints of [`ComplaintsDesk::open_complaint`] by day; `total` 0 when `offset` is not 0 (Midas' drift) |
//! | `get_complaint_detail` | [`ComplaintsDesk`] | one complaint |
//! | `get_negotiation_history` | [`ComplaintsDesk`] | its steps; a merchant step's media as one object (Midas' drift) |
//! | `response_complaint` | [`ComplaintsDesk`] | answers with uploaded images: `PROCESSING` |
//! | `complete_complaint` | [`ComplaintsDesk`] | `PROCESSED`; 268490004 the second time |
//! | `upload_vp_file` | [`ComplaintsDesk`] | takes a base64 image (at most 1 MiB) or a URL, answers a `file_id` |
//! | `get_upload_file_sign` | [`ComplaintsDesk`] | an `Authorization` value for an image of the complaint |
//! | `query_subscribe_contract` | [`SubscriptionsDesk`] | the state of a contract of [`SubscriptionsDesk::sign_up`] |
//! | `send_subscribe_pre_payment` | [`SubscriptionsDesk`] | a notice of the next charge, on a live contract |
//! | `submit_subscribe_pay_order` | [`SubscriptionsDesk`] | a charge after its notice, production only |
//! | `cancel_subscribe_contract` | [`SubscriptionsDesk`] | ends a contract for good: no notice or charge after |
//!
//! The token and login APIs are served too, with the app's AppSecret
//! ([`Emulator::app_secret`]):
//!
//! | API | what it does |
//! |---|---|
//! | `POST /cgi-bin/stable_token` | normal mode: the current stable token and its remaining `expires_in`, a new one within the last 5 minutes (the old one valid until it expires); `force_refresh: true`: a new token, the old one invalid at once, at most once per 30 s (45011) and 20 times a day (45009) |
//! | `GET /cgi-bin/token` | a new token on every call; the previous one is invalid at once, or after [`EmulatorBuilder::classic_token_overlap`] |
//! | `GET /sns/jscode2session` | exchanges a single-use code ([`Emulator::issue_login_code`], [`Emulator::register_code`]; 40029 unknown, 40163 used) for the openid and a **new** session key: the previous one stops verifying `mp_sig` and `signature` |
//! | `GET /wxa/checksession` | 0 when `signature` is HMAC-SHA256 of the empty string with the player's current session key, else 87009 |
//!
//! Tokens live [`DEFAULT_TOKEN_LIFETIME`] (see [`EmulatorBuilder::token_lifetime`]) on a clock
//! that [`Emulator::advance_clock`] moves forward; [`Emulator::token_requests`] counts the
//! token requests.
//!
//! Every generation first checks that `access_token` in the query is one issued and not
//! replaced (40001), and not expired (42001).
//! Midas 1.0 then checks, in this order:
//!
//! | check | errcode |
//! |---|---|
//! | every field present, of its JSON type, not empty; no unknown field; `appid`/`offer_id` of the app; `bill_no` of `[0-9A-Za-z_-]{1,63}`; amounts above zero | 90018, the errmsg names the field |
//! | `sig` over the received fields, the called path as `org_loc`, the key of the environment | 90011 |
//! | the player is registered | 90010 |
//! | `mp_sig`, when sent, with the player's `session_key` | 90009 |
//!
//! Midas 2.0 and xpay sign the exact body bytes: `pay_sig` with the payment key of the body's
//! `env` (distinct from the Midas 1.0 keys; see [`Emulator::payment_key`]) over
//! `path + "&" + body`, and `signature` with the player's session key over the body. They
//! check, in this order:
//!
//! | check | Midas 2.0 | xpay |
//! |---|---|---|
//! | signatures in the query: Midas 2.0 `signature`, `sig_method=hmac_sha256`, `pay_sig`; xpay `pay_sig`, and `signature` for `query_user_balance`, `currency_pay`, `cancel_currency_pay` | 90018 | 268490002 |
//! | body fields present, of their JSON type, not empty, none unknown; Midas 2.0 `offer_id` of the app; `env` 0 or 1; amounts above zero; order numbers of `[0-9A-Za-z_-]{1,63}` (Midas 2.0: not starting with `_`); `biz_id` 1 or 2 | 90018 | 268490002 |
//! | `pay_sig` over the path and the received bytes, with the payment key of `env` | 90011 | 268490003 |
//! | the player is known (xpay APIs with `signature`) | 90016 | 268490001 |
//! | the player is logged in, and `signature` is not made with a replaced session key | 90016 | 268490009 |
//! | `signature` over the received bytes, with the player's session key | 90010 | 268490003 |
//!
//! The errmsg of a parameter error names the field: `[amount] amount is invalid: ...`. xpay
//! APIs without `signature` refuse an unknown player with 268490001 when they reach the books.
//!
//! Signatures are checked with [`midas_core::verify`] and [`midas_core::body_signed`], the
//! same code the client signs with.
//!
//! Behind the checks is one wallet per environment, player and `zone_id`, as Midas keeps them,
//! shared by all generations: a player gifted coins through Midas 1.0 pays them through Midas
//! 2.0 in the same zone. xpay has no zones; its calls use zone [`DEFAULT_ZONE_ID`] (`"1"`),
//! as do [`Emulator::balance`] and [`Emulator::add_player`] ([`Emulator::balance_in_zone`] and
//! [`Emulator::add_player_in_zone`] name one). `bill_no`s (and xpay `order_id`s) share one
//! namespace per environment; a refund must name a pay of its own zone. Every number is kept in
//! `i64` with checked arithmetic: an amount that would take a wallet past it is a parameter
//! error (90018, xpay 268490002) and changes nothing.
//!
//! - present: adds gifted coins. A reused `bill_no` is 90012 (Midas 1.0 and 2.0); the same
//!   xpay `present_currency` again is 268490004, another order under its `order_id` 268490002.
//! - pay: deducts, gifted coins first (90013 / 268490006 when short). The same request again
//!   (every field but `ts` equal) answers the first result without deducting twice in Midas
//!   1.0 and 2.0, and is 268490004 in xpay; the `bill_no` of another order is 90012 / 268490002.
//! - Midas 1.0 `cancelpay`: gives back what is left of a deduction, once (90000 for an unknown
//!   bill, 90015 when nothing is left).
//! - Midas 2.0 `cancelpay`: a refund order of its own (`bill_no`) of `amount` coins of the pay
//!   `pay_bill_no`; several partial refunds may add up to the pay, not more (90018 naming
//!   `amount`); 90000 for an unknown pay. xpay `cancel_currency_pay` refunds a pay once
//!   (268490005 the second time). Gifted coins come back in proportion: see [`Change::Refund`].
//! - queries: Midas 2.0 `queryorderinfo` finds the player's pay and present orders (90019
//!   otherwise); xpay `query_order` also its refund orders; `notify_provide_goods` any pay or
//!   present order of the environment.
//!
//! Every applied [`Effect`] is recorded.
//!
//! Cash purchases (xpay goods and token recharges) are played from the other side too:
//!
//! | step | what the server does |
//! |---|---|
//! | [`Emulator::pay_launch`] | the player pays for the launch parameters a client received: `paySig` with the payment key of `signData`'s `env` over `"<api>&" + signData`, `signature` with the player's session key, then `signData`'s fields ([`PayRefused`] names what fails); books a paid order (status 2, a new `wx_order_id`; tokens at [`COIN_PRICE_FEN`]) and pushes `xpay_goods_deliver_notify` / `xpay_coin_pay_notify` to [`Emulator::set_cash_push_target`]; a push answered success delivers it (status 4). A token recharge credits its tokens to the player's wallet (the default zone's, which xpay reads) when paid; refunding one takes none back |
//! | `query_order` | a cash order by `order_id` (the `outTradeNo`) or `wx_order_id`, with every documented field; a refund task by its `refund_order_id` (status 1 running, 5 done; `order_type` 1) |
//! | `notify_provide_goods` | a paid cash order (by either id) becomes delivered; again, it stays delivered |
//! | `refund_order` | starts a refund task of the player's cash order: `left_fee` must be what is left (268490016), `refund_fee` within it, no other refund of the order running (268490014); the same `refund_order_id` with the same fields answers the same task, with others it is refused (268490002) |
//! | [`Emulator::finish_refunds`] | every running task finishes: the order's `refund_fee` grows, `left_fee` shrinks, status 5 once refunded in full; `xpay_refund_notify` is pushed |
//!
//! More xpay APIs are served by desks, each with state of its own that tests set up and read
//! back through the emulator ([`Emulator::bills`], [`Emulator::funds`], [`Emulator::goods`]);
//! their behaviour is on each desk's page. Tasks and generations move on by a documented number
//! of polls or a driver call, never by wall-clock time.
//!
//! | API | desk | behaviour |
//! |---|---|---|
//! | `download_bill` | [`BillsDesk`] | 268490011 for the first [`BILL_POLLS`] calls of a range, then a `url` of the books as CSV, valid [`URL_LIFETIME`] on the emulator's clock |
//! | `start_download_order` | [`BillsDesk`] | a `task_id`; dates at most 31 days apart, `order_type` 1–4, `pay_channel` 1–2 |
//! | `query_download_order` | [`BillsDesk`] | status 1, then 2 with `download_url` and `expire_at` at the [`EXPORT_POLLS`]-th query; the export lists the effects of its type |
//! | `download_ios_settlement_bill` | [`BillsDesk`] | the months of the range registered with [`BillsDesk::add_ios_settlement_bill`], each with a `bill_url` |
//! | `query_biz_balance` | [`FundsDesk`] | the merchant balance of `env` ([`FundsDesk::credit`]) in yuan |
//! | `create_withdraw_order` | [`FundsDesk`] | takes the amount (or the whole balance) off at once; the same `withdraw_no` answers the first, with another amount 268490002 |
//! | `query_withdraw_order` | [`FundsDesk`] | status 1, then 2 at the [`WITHDRAW_POLLS`]-th query or [`FundsDesk::finish_withdrawal`]; [`FundsDesk::fail_withdrawal`] gives the amount back |
//! | `start_upload_goods` | [`GoodsDesk`] | starts an upload task; 268490012 while a task runs |
//! | `query_upload_goods` | [`GoodsDesk`] | status 1, then 2 or 3 at the [`TASK_POLLS`]-th query or [`GoodsDesk::finish_task`], when the items join the catalog |
//! | `start_publish_goods` | [`GoodsDesk`] | starts a publish task; 268490012 while a task runs |
//! | `query_publish_goods` | [`GoodsDesk`] | as `query_upload_goods`; uploaded ids are published, others fail |
//!
//! Faults come on demand: queued for the next calls ([`Emulator::inject`],
//! [`Emulator::inject_for`]) or drawn with seeded [`FaultRates`] from (seed, call, attempt),
//! so that one seed gives one fault schedule; see [`Fault`] and [`Emulator::fault_log`].
//!
//! The server keeps idle sockets from starving real requests: a header read timeout that is
//! also the idle keep-alive timeout ([`EmulatorBuilder::header_read_timeout`]), a cap on open
//! connections that sheds the oldest ([`EmulatorBuilder::max_connections`]), and 413 at once
//! for a declared `Content-Length` above 64 KiB. The AppSecret and access tokens are compared
//! in constant time.
//!
//! The server plays WeChat's push side too ([`Emulator::push_event`], [`PushTarget`]): every
//! payment event of the push protocol as a typed [`EventMessage`] ([`EventKind`]: the seven
//! xpay events, fields at the top level, and the five mini-game 2.0 events, wrapped as
//! `{"Event":…,"MiniGame":{"Payload":"<json text>","PayEventSig":"<hex>","IsMock":…}}` with
//! `PayEventSig = hex(HMAC-SHA256(payment key of the payload's Env, Event + "&" + Payload))`),
//! in JSON or XML (a mini-game payload stays JSON text inside XML), mock pushes on demand,
//! sealed in plaintext, compatible or safe mode, re-pushed on the documented schedule
//! ([`EventKind::schedule`], sped up for tests) until answered success, and damaged on demand
//! ([`Injection`]). The binary's `push` command does the same for services in any language
//! (`midas-emulator --help`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), midas_emulator::StartError> {
//! use midas_emulator::{Api, Emulator, Env, Fault, SessionKey};
//!
//! let emulator = Emulator::start().await?;
//! emulator.add_player("player-1", SessionKey::new("session-key-1").expect("not empty"), 100);
//! // The next pay is applied, then its connection is closed without an answer.
//! emulator.inject_for(Api::Pay, Fault::DropAfter);
//! // Point a client at emulator.base_url() with emulator.sandbox_key() (Midas 1.0) or
//! // emulator.payment_key(Env::Sandbox) (Midas 2.0, xpay) and emulator.access_token(); then
//! // read the books:
//! assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(100));
//! assert!(emulator.effects().is_empty());
//! # Ok(()) }
//! ```

mod answer;
mod api;
mod auth;
mod builder;
mod cash;
pub mod desks;
mod emulator;
mod events;
mod fault;
mod ledger;
mod limits;
mod listen;
mod login;
mod per_env;
mod protocol;
mod pusher;
mod query;
mod routes;
mod secret;
mod server;
mod session;
mod shared;
mod tokens;

pub use api::{Api, Generation};
pub use builder::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_APP_SECRET, DEFAULT_APPID, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_OFFER_ID, DEFAULT_PAYMENT_PRODUCTION_KEY, DEFAULT_PAYMENT_SANDBOX_KEY,
    DEFAULT_PRODUCTION_KEY, DEFAULT_SANDBOX_KEY, DEFAULT_TOKEN_LIFETIME, EmulatorBuilder, StartError,
};
pub use cash::{COIN_PRICE_FEN, CashOrder, CashPayment, LaunchTexts, PayRefused};
pub use desks::bills::{BILL_FILES_PATH, BILL_POLLS, EXPORT_POLLS, URL_LIFETIME};
pub use desks::funds::{WITHDRAW_POLLS, Withdrawal, WithdrawalStatus};
pub use desks::goods::{Goods, TASK_POLLS};
pub use desks::{
    AdAccount, AdFundsDesk, Binding, ComplaintOrderRecord, ComplaintRecord, ComplaintsDesk, ContractRecord,
    ContractState, FundGrant, FundsTransferRecord, Grant, NegotiationStep, PlayerComplaint, Recovery,
    SubscribeOrder, SubscriptionsDesk, UploadSource, UploadedFile,
};
pub use desks::{BillsDesk, FundsDesk, GoodsDesk};
pub use emulator::Emulator;
pub use events::{DELIVERY_SCHEDULE, EventKind, EventMessage, XPAY_SCHEDULE};
pub use fault::{Fault, FaultCounts, FaultKind, FaultRates, FaultRecord, InvalidRates};
pub use ledger::{Balance, Change, DEFAULT_ZONE_ID, Effect};
pub use midas_core::{AccessToken, AppKey, AppSecret, Env, SessionKey};
pub use pusher::{Injection, PushAttempt, PushReport, PushTarget, goods_delivery_message};
pub use routes::{InvalidRoute, Route, RouteError, RouteFields, RouteHandler, RouteRequest};
pub use tokens::TokenRequests;

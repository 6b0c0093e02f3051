//! Virtual payment for mini programs (`/xpay/*`), declared with the same attribute.
//!
//! Like Midas 2.0 the body carries `env` and is signed as sent (`pay_sig`; `signature` where
//! the API requires the player's session). Errcodes are the 268490xxx family: 268490004
//! means the same operation already succeeded; 268490005 only that the pay was refunded.
//!
//! The reference lists `user_ip` among the fields of `query_user_balance`, `currency_pay` and
//! `cancel_currency_pay` and treats every listed field as required but `payitem` and `remark`
//! (`midas.md` §9.2): those three refuse a [`Player`](crate::Player) without
//! [`with_user_ip`](crate::Player::with_user_ip) before anything is sent.
//!
//! | file | APIs |
//! |---|---|
//! | `coins.rs` | `query_user_balance`, `currency_pay`, `cancel_currency_pay`, `present_currency` |
//! | `orders.rs` | `query_order`, `notify_provide_goods`, `refund_order` (by `order_id` or `wx_order_id`) |
//! | `bills.rs` | `download_bill`, `start_download_order`, `query_download_order`, `download_ios_settlement_bill` |
//! | `funds.rs` | `query_biz_balance`, `create_withdraw_order`, `query_withdraw_order` |
//! | `goods.rs` | `start_upload_goods`, `query_upload_goods`, `start_publish_goods`, `query_publish_goods` |
//! | `ad_funds.rs` | `query_transfer_account`, `bind_transfer_accout`, `query_adver_funds`, `create_funds_bill`, `query_funds_bill`, `query_recover_bill`, `download_adverfunds_order` |
//! | `complaints.rs` | `get_complaint_list`, `get_complaint_detail`, `get_negotiation_history`, `response_complaint`, `complete_complaint`, `upload_vp_file`, `get_upload_file_sign` |
//! | `subscriptions.rs` | `query_subscribe_contract`, `send_subscribe_pre_payment`, `submit_subscribe_pay_order`, `cancel_subscribe_contract` |
//! | `lenient.rs` | answers read tolerantly: numbers as numbers or strings, lists as arrays or one object |

mod ad_funds;
mod bills;
mod coins;
mod complaints;
mod funds;
mod goods;
mod lenient;
mod orders;
mod subscriptions;

pub use self::ad_funds::*;
pub use self::bills::*;
pub use self::coins::*;
pub use self::complaints::*;
pub use self::funds::*;
pub use self::goods::*;
pub use self::orders::*;
pub use self::subscriptions::*;

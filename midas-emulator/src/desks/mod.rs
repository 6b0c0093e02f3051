//! Desks: the `/xpay/*` APIs outside the coin books, one group per file, each over state of its
//! own: a handle with its routes and the driver methods tests use to play WeChat's or the
//! players' side.

pub mod ad_funds;
pub mod bills;
pub mod complaints;
pub mod funds;
pub mod goods;
pub mod subscriptions;

pub use ad_funds::{AdAccount, AdFundsDesk, Binding, FundGrant, FundsTransferRecord, Grant, Recovery};
pub use bills::BillsDesk;
pub use complaints::{
    ComplaintOrderRecord, ComplaintRecord, ComplaintsDesk, NegotiationStep, PlayerComplaint, UploadSource,
    UploadedFile,
};
pub use funds::FundsDesk;
pub use goods::GoodsDesk;
pub use subscriptions::{ContractRecord, ContractState, SubscribeOrder, SubscriptionsDesk};

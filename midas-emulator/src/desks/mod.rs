//! Desks: the `/xpay/*` APIs outside the coin books, each over state of its own, served as
//! routes and driven from tests as WeChat's or the players' side.

mod ad_funds;
mod complaints;
mod subscriptions;

pub use ad_funds::{AdAccount, AdFundsDesk, Binding, FundGrant, FundsTransferRecord, Grant, Recovery};
pub use complaints::{
    ComplaintOrderRecord, ComplaintRecord, ComplaintsDesk, NegotiationStep, PlayerComplaint, UploadSource,
    UploadedFile,
};
pub use subscriptions::{ContractRecord, ContractState, SubscribeOrder, SubscriptionsDesk};

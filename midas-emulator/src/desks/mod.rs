//! Desks: the xpay APIs served beside the books, one group per file, each a handle with its
//! routes and the driver methods tests use.

pub mod bills;
pub mod funds;
pub mod goods;

pub use bills::BillsDesk;
pub use funds::FundsDesk;
pub use goods::GoodsDesk;

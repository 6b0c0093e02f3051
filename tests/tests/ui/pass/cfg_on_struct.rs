//! A `#[cfg]` written below `#[midas_api]` stays on the struct and goes on its impl too, so a
//! configured-out request leaves nothing behind.

use midas_api::{midas_api, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = Ack)]
#[cfg(any())]
pub struct Never {
    #[midas(bill_no)]
    pub bill_no: String,
}

#[midas_api(path = "/cgi-bin/midas/present", response = Ack)]
#[cfg(all())]
pub struct Always {
    #[midas(bill_no)]
    pub bill_no: String,
}

fn main() {
    assert_eq!(Always { bill_no: "gift-1".to_owned() }.order_id(), Some("gift-1"));
}

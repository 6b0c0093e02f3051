use midas_api::midas_api;

#[derive(Debug, serde::Deserialize)]
pub struct Ack {}

#[midas_api(scheme = "xpay", path = "/xpay/things", response = Ack)]
pub struct Things {
    #[midas(json, bill_no)]
    pub items: Vec<String>,
}

fn main() {}

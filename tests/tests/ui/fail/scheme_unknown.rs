use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PayResponse {
    pub balance: i64,
}

#[midas_api(scheme = "midas_v3", path = "/wxa/game/pay", response = PayResponse)]
pub struct Pay {
    #[midas(bill_no)]
    pub bill_no: String,
}

fn main() {}

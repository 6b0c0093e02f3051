use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PayResponse {
    pub balance: i64,
}

#[midas_api(scheme = "v2", path = "/wxa/game/pay", sandbox_path = "/wxa/game/sandbox/pay", response = PayResponse)]
pub struct Pay {
    #[midas(positive)]
    pub amount: i64,
    #[midas(bill_no)]
    pub bill_no: String,
}

fn main() {}

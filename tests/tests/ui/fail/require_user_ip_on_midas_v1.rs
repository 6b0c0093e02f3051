use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PayResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/pay", response = PayResponse, require_user_ip = true)]
pub struct Pay {
    #[midas(positive)]
    pub amt: i64,
    #[midas(bill_no)]
    pub bill_no: String,
}

fn main() {}

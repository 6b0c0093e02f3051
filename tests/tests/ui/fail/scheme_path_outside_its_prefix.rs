use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PayResponse {
    pub balance: i64,
}

#[midas_api(scheme = "xpay", path = "/wxa/game/pay", response = PayResponse)]
pub struct CurrencyPay {
    #[midas(bill_no)]
    pub order_id: String,
}

fn main() {}

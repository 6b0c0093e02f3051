use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(scheme = "v2", path = "/wxa/game/present", response = PresentResponse)]
pub struct Present {
    pub env: i64,
    #[midas(rename = "pay_sig")]
    pub signature_text: String,
    #[midas(bill_no)]
    pub bill_no: String,
}

fn main() {}

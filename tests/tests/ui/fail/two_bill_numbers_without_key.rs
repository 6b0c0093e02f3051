use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
pub struct Present {
    #[midas(bill_no)]
    pub bill_no: String,
    #[midas(bill_no)]
    pub order_no: String,
}

fn main() {}

use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse, retries = 3)]
pub struct Present {
    #[midas(bill_no)]
    pub bill_no: i64,
    pub sig: String,
    pub amount: f32,
}

fn main() {}

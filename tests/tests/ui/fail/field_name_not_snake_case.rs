use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
#[allow(non_snake_case)]
pub struct Present {
    #[midas(bill_no)]
    pub billNo: String,
}

fn main() {}

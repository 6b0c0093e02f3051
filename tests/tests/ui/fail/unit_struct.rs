use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/getbalance", response = PresentResponse)]
pub struct GetBalance;

fn main() {}

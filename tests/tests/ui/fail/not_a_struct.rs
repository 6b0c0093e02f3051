use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
pub enum Present {
    Coins(i64),
}

fn main() {}

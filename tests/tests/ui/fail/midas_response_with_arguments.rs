use midas_api::midas_response;

#[midas_response(strict)]
pub struct PresentResponse {
    pub balance: i64,
}

fn main() {}

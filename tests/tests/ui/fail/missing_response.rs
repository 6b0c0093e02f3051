use midas_api::midas_api;

#[midas_api(path = "/cgi-bin/midas/present")]
pub struct Present {
    #[midas(bill_no)]
    pub bill_no: String,
}

fn main() {}

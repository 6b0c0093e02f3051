use midas_api::midas_api;

#[derive(serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
pub struct Present {
    #[midas(bill_no)]
    pub bill_no: String,
    pub openid: String,
}

fn main() {
    // Only the misplaced field is reported: the struct itself still exists, and so does an
    // impl of the request trait, so its uses add no errors of their own.
    use midas_api::MidasRequest as _;
    let present = Present { bill_no: "gift-1".to_owned(), openid: "o-1".to_owned() };
    let _ = (Present::API, present.order_id());
    let _ = (present.bill_no, present.openid);
}

//! `#[midas_response]` derives the response's deserialization through midas-api's serde, with
//! serde's field attributes working as usual.

use midas_api::midas_response;

#[midas_response]
#[derive(Debug, PartialEq)]
pub struct PayResponse {
    pub bill_no: String,
    #[serde(alias = "used_gen_balance")]
    pub used_gen_amt: i64,
    #[serde(default)]
    pub balance: Option<i64>,
}

fn main() {
    let answer: PayResponse =
        serde_json::from_str(r#"{"bill_no":"b-1","used_gen_balance":3}"#).expect("a valid answer");
    assert_eq!(answer, PayResponse { bill_no: "b-1".into(), used_gen_amt: 3, balance: None });
}

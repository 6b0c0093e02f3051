//! `#[midas(bill_no)]` on `String` and on `Option<String>`: `bill_no()` returns the field, and
//! `validate()` refuses anything but 1 to 63 characters of `[0-9A-Za-z_-]`, naming the field.

use midas_api::{midas_api, MidasRequest, Rule};

#[derive(Debug, serde::Deserialize)]
pub struct PayResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/pay", response = PayResponse)]
pub struct Pay {
    #[midas(positive)]
    pub amt: i64,
    #[midas(bill_no)]
    pub bill_no: String,
}

#[midas_api(path = "/cgi-bin/midas/cancelpay", response = PayResponse)]
pub struct CancelPay {
    #[midas(bill_no)]
    pub bill_no: Option<String>,
}

fn main() {
    let pay = Pay { amt: 1, bill_no: "pay-2026_0001".to_owned() };
    assert_eq!(pay.order_id(), Some("pay-2026_0001"));
    assert_eq!(pay.validate(), Ok(()));

    for bad in ["", "has space", "slash/no", "中文", &"x".repeat(64)] {
        let err = Pay { amt: 1, bill_no: bad.to_owned() }.validate().expect_err("not a bill number");
        assert_eq!(err.field(), "bill_no", "{bad:?}");
        assert_eq!(err.rule(), &Rule::BillNo, "{bad:?}");
    }
    assert_eq!(Pay { amt: 1, bill_no: "x".repeat(63) }.validate(), Ok(()));

    let cancel = CancelPay { bill_no: Some("pay-1".to_owned()) };
    assert_eq!(cancel.order_id(), Some("pay-1"));
    assert_eq!(cancel.validate(), Ok(()));
    let cancel = CancelPay { bill_no: None };
    assert_eq!(cancel.order_id(), None);
    assert_eq!(cancel.validate(), Ok(()));
    let err = CancelPay { bill_no: Some("pay 1".to_owned()) }.validate().expect_err("not a bill number");
    assert_eq!((err.field(), err.rule()), ("bill_no", &Rule::BillNo));
}

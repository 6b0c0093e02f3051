//! The generated code names everything by absolute paths: it compiles next to user items that
//! shadow the names it uses, and with nothing imported but the attribute.
#![deny(warnings)]
#![allow(dead_code)]

mod core {}
mod std {}
mod __private {}
mod __private0_1 {}
struct Option;
struct Result;
struct String;
struct Params;
struct Envelope;
struct CallContext;
struct Scheme;
struct JsonObject;
trait MidasRequest {}
fn validate() {}

mod user {
    #[derive(Debug, serde::Deserialize)]
    pub struct Ack {
        pub balance: i64,
    }

    #[midas_api::midas_api(path = "/cgi-bin/midas/present", response = Ack)]
    pub struct Present {
        #[midas(bill_no)]
        pub bill_no: ::std::string::String,
        #[midas(positive)]
        pub present_counts: i64,
        pub pay_item: ::std::option::Option<::std::string::String>,
    }
}

fn main() {
    use ::midas_api::MidasRequest as _;
    let present = user::Present { bill_no: "gift-1".into(), present_counts: 1, pay_item: None };
    assert_eq!(present.validate(), Ok(()));
    assert_eq!(present.order_id(), Some("gift-1"));
}

//! Doc comments, derives and other attributes stay on the struct and its fields; only
//! `#[midas(..)]` is consumed. Visibility is kept too. (`missing_docs` is denied: a dropped doc
//! comment would fail the build.)
#![deny(missing_docs)]

//! A crate with documented requests.

use midas_api::MidasRequest;

/// The answer.
#[derive(Debug, serde::Deserialize)]
pub struct PresentResponse {
    /// The balance after the gift.
    pub balance: i64,
}

/// The requests.
pub mod requests {
    use midas_api::midas_api;

    /// Gift coins.
    #[midas_api(path = "/cgi-bin/midas/present", response = super::PresentResponse)]
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Present {
        /// The gift order number.
        #[midas(bill_no)]
        #[serde(rename = "order")]
        pub bill_no: String,
        /// How many coins.
        #[midas(positive)]
        pub present_counts: i64,
        /// Visible in this crate only.
        pub(crate) note: Option<String>,
    }

    /// A derive may also come before the attribute.
    #[derive(Debug, Default)]
    #[midas_api(path = "/cgi-bin/midas/getbalance", response = super::PresentResponse)]
    pub struct GetBalance {}
}

fn main() {
    let present = requests::Present { bill_no: "gift-1".to_owned(), present_counts: 3, note: None };
    let copy = present.clone();
    assert_eq!(copy, present);
    assert_eq!(
        format!("{present:?}"),
        r#"Present { bill_no: "gift-1", present_counts: 3, note: None }"#
    );
    assert_eq!(
        serde_json::to_string(&present).expect("serializes"),
        r#"{"order":"gift-1","presentCounts":3,"note":null}"#
    );
    assert_eq!(present.order_id(), Some("gift-1"));
    assert_eq!(format!("{:?}", requests::GetBalance::default()), "GetBalance");
}

//! The sandbox path: derived under `/cgi-bin/midas/`, or given with `sandbox_path`, which is
//! also how an API outside `/cgi-bin/midas/` is declared.

use midas_api::{midas_api, Env, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = Ack)]
pub struct Derived {}

#[midas_api(response = Ack, sandbox_path = "/cgi-bin/midas/sandbox/pay_v2", path = "/cgi-bin/midas/pay")]
pub struct Explicit {}

#[midas_api(path = "/wxa/game/getbalance", sandbox_path = "/wxa/game/sandbox/getbalance", response = Ack)]
pub struct Elsewhere {}

fn main() {
    assert_eq!(<Derived as MidasRequest>::PATH, "/cgi-bin/midas/present");
    assert_eq!(<Derived as MidasRequest>::SANDBOX_PATH, "/cgi-bin/midas/sandbox/present");
    assert_eq!(Derived::API, "present");

    assert_eq!(<Explicit as MidasRequest>::PATH, "/cgi-bin/midas/pay");
    assert_eq!(<Explicit as MidasRequest>::SANDBOX_PATH, "/cgi-bin/midas/sandbox/pay_v2");
    assert_eq!(Explicit::path(Env::Sandbox), "/cgi-bin/midas/sandbox/pay_v2");
    assert_eq!(Explicit::path(Env::Production), "/cgi-bin/midas/pay");

    assert_eq!(<Elsewhere as MidasRequest>::PATH, "/wxa/game/getbalance");
    assert_eq!(<Elsewhere as MidasRequest>::SANDBOX_PATH, "/wxa/game/sandbox/getbalance");
    assert_eq!(Elsewhere::API, "getbalance");
}

use midas_api::midas_api;

#[derive(Debug, serde::Deserialize)]
pub struct Ack {}

#[midas_api(path = "/cgi-bin/midas/things", response = Ack)]
pub struct Things {
    #[midas(json)]
    pub items: Vec<String>,
    pub flag: bool,
}

fn main() {}

//! xpay bills and exports against the local server: generation polled to a URL, the file
//! streamed from the server's own URL, order exports as tasks, iOS settlement bills.

use std::time::Duration;

use midas_api::xpay::{
    BillDate, BillMonth, CancelCurrencyPay, CurrencyPay, DownloadBill, DownloadIosSettlementBill,
    DownloadOrderResponse, ExportOrderType, ExportStatus, IosSettlementBillResponse, PayChannel,
    PresentCurrency, QueryDownloadOrder, RefundFilter, StartDownloadOrder,
};
use midas_api::{
    ApiErrorKind, Client, Env, Error, Player, PollPolicy, RetryPolicy, Rule, SessionKey, StaticToken,
    TransportErrorKind,
};
use midas_emulator::{BILL_POLLS, EXPORT_POLLS, Emulator, URL_LIFETIME};
use midas_tests::emulator_config;

type TestClient = Client<midas_api::ReqwestTransport, StaticToken>;

const OPENID: &str = "player-bills";
const SESSION_KEY: &str = "bills-session-key";
const MAX_BYTES: u64 = 1 << 20;

async fn setup() -> (Emulator, TestClient) {
    let emulator = Emulator::start().await.unwrap();
    emulator.add_player(OPENID, SessionKey::new(SESSION_KEY).unwrap(), 0);
    let config = emulator_config(&emulator, Env::Sandbox).retry(RetryPolicy::never()).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    (emulator, client)
}

fn merchant() -> Player {
    Player::new("merchant")
}

fn day(text: &str) -> BillDate {
    BillDate::parse(text).unwrap()
}

fn quick(max_polls: u32) -> PollPolicy {
    PollPolicy::default().with_max_polls(max_polls).with_backoff(Duration::ZERO, Duration::ZERO)
}

/// A gift, a pay and a refund of part of it, through the client: three effects in the books.
async fn trade(client: &TestClient) {
    let player = Player::new(OPENID)
        .with_session_key(SessionKey::new(SESSION_KEY).unwrap())
        .with_user_ip("203.0.113.7");
    client.call(&player, &PresentCurrency { order_id: "gift-0001".into(), amount: 50 }).await.unwrap();
    let pay = CurrencyPay { amount: 30, order_id: "pay-0001".into(), payitem: None, remark: None };
    client.call(&player, &pay).await.unwrap();
    let refund =
        CancelCurrencyPay { pay_order_id: "pay-0001".into(), order_id: "refund-0001".into(), amount: 30 };
    client.call(&player, &refund).await.unwrap();
}

async fn fetch(client: &TestClient, url: &str) -> Result<Vec<u8>, Error> {
    client.download(url, MAX_BYTES).await?.bytes().await
}

#[tokio::test]
async fn download_bill_generates_first_then_hands_out_a_url_to_the_books() {
    let (emulator, client) = setup().await;
    trade(&client).await;
    let bill = DownloadBill::new(day("20230801"), day("20230831")).unwrap();
    for _ in 0..BILL_POLLS {
        let generating = client.call(&merchant(), &bill).await;
        assert!(
            matches!(&generating, Err(Error::Api(error)) if error.errcode() == 268_490_011 && error.kind() == ApiErrorKind::StillGenerating),
            "{generating:?}"
        );
    }
    let ready = client.call(&merchant(), &bill).await.unwrap();
    assert!(ready.url.starts_with(emulator.base_url()));
    let file = String::from_utf8(fetch(&client, &ready.url).await.unwrap()).unwrap();
    assert_eq!(file, emulator.bills().bill_csv(Env::Sandbox));
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three effects: {file}");
    assert!(lines[0].starts_with("seq,api,openid"));
    assert!(lines[2].contains("pay-0001") && lines[2].contains(",pay,30,"), "{}", lines[2]);
    assert!(lines[3].contains("refund-0001") && lines[3].contains(",refund,30,"), "{}", lines[3]);
}

#[tokio::test]
async fn poll_until_ready_waits_for_the_file_and_gives_up_with_a_typed_error() {
    let (emulator, client) = setup().await;
    let bill = DownloadBill::new(day("20240101"), day("20240101")).unwrap();
    let too_few = client.poll_until_ready(&merchant(), &bill, &quick(BILL_POLLS)).await;
    assert!(
        matches!(&too_few, Err(Error::Api(error)) if error.kind() == ApiErrorKind::StillGenerating),
        "{too_few:?}"
    );
    assert_eq!(emulator.requests(), u64::from(BILL_POLLS), "exactly the bound");

    let other = DownloadBill::new(day("20240102"), day("20240102")).unwrap();
    let ready = client.poll_until_ready(&merchant(), &other, &quick(BILL_POLLS + 1)).await.unwrap();
    assert_eq!(
        fetch(&client, &ready.url).await.unwrap(),
        emulator.bills().bill_csv(Env::Sandbox).into_bytes()
    );

    let refused = client.poll_until_ready(&merchant(), &other, &quick(0)).await;
    assert!(
        matches!(&refused, Err(Error::Validation(error)) if error.field() == "poll.max_polls"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_bill_url_expires_after_thirty_minutes_on_the_emulators_clock() {
    let (emulator, client) = setup().await;
    let bill = DownloadBill::new(day("20230801"), day("20230801")).unwrap();
    let url = client.poll_until_ready(&merchant(), &bill, &quick(10)).await.unwrap().url;
    emulator.advance_clock(URL_LIFETIME - Duration::from_secs(60));
    assert!(fetch(&client, &url).await.is_ok(), "still valid a minute before");
    emulator.advance_clock(Duration::from_secs(61));
    let expired = fetch(&client, &url).await;
    assert!(
        matches!(&expired, Err(Error::Transport(error)) if error.kind() == TransportErrorKind::Status(404)),
        "{expired:?}"
    );
    let again = client.call(&merchant(), &bill).await.unwrap();
    assert_ne!(again.url, url, "a new URL for a new half hour");
    assert!(fetch(&client, &again.url).await.is_ok());
}

#[tokio::test]
async fn downloads_stream_in_chunks_refuse_other_schemes_and_keep_to_the_cap() {
    let (emulator, client) = setup().await;
    trade(&client).await;
    let bill = DownloadBill::new(day("20230801"), day("20230801")).unwrap();
    let url = client.poll_until_ready(&merchant(), &bill, &quick(10)).await.unwrap().url;
    let expected = emulator.bills().bill_csv(Env::Sandbox).into_bytes();

    let mut download = client.download(&url, MAX_BYTES).await.unwrap();
    assert_eq!(download.content_length(), Some(expected.len() as u64));
    let mut streamed = Vec::new();
    while let Some(chunk) = download.chunk().await.unwrap() {
        streamed.extend_from_slice(&chunk);
    }
    assert_eq!(streamed, expected);

    let capped = client.download(&url, expected.len() as u64 - 1).await;
    assert!(
        matches!(&capped, Err(Error::Transport(error)) if error.kind() == TransportErrorKind::BodyTooLarge),
        "{capped:?}"
    );
    for bad in ["ftp://127.0.0.1/bill", "file:///etc/passwd", "not a url", "http://"] {
        let refused = client.download(bad, MAX_BYTES).await;
        assert!(
            matches!(&refused, Err(Error::Validation(error)) if error.field() == "url" && *error.rule() == Rule::Url),
            "{bad}"
        );
    }
    let unknown = fetch(&client, &format!("{}/_emulator/bills/f99999999", emulator.base_url())).await;
    assert!(
        matches!(&unknown, Err(Error::Transport(error)) if error.kind() == TransportErrorKind::Status(404))
    );
    let message = format!("{:?}", client.download(&url, MAX_BYTES).await.unwrap());
    assert!(!message.contains(&url[7..]), "the URL stays out of Debug: {message}");
    let message = format!("{}", unknown.unwrap_err());
    assert!(!message.contains("f99999999"), "the URL stays out of errors: {message}");
}

#[tokio::test]
async fn an_order_export_runs_as_a_task_and_lists_the_orders_of_its_type() {
    let (emulator, client) = setup().await;
    trade(&client).await;
    let (begin, end) = (day("20260401"), day("20260420"));
    let pays =
        StartDownloadOrder::new(begin, end, ExportOrderType::Coins, PayChannel::VirtualPayment).unwrap();
    let task_id = client.call(&merchant(), &pays).await.unwrap().task_id;
    let query = QueryDownloadOrder { task_id: task_id.clone() };
    for _ in 1..EXPORT_POLLS {
        let running = client.call(&merchant(), &query).await.unwrap();
        assert_eq!(
            (running.status(), running.download_url.as_str(), running.task_id.as_str()),
            (ExportStatus::Running, "", task_id.as_str())
        );
    }
    let done = client.call(&merchant(), &query).await.unwrap();
    assert_eq!(done.status(), ExportStatus::Succeeded);
    assert!(done.expire_at > 1_700_000_000);
    let file = String::from_utf8(fetch(&client, &done.download_url).await.unwrap()).unwrap();
    let rows: Vec<&str> = file.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{file}");
    assert!(rows[0].contains("pay-0001"));

    let refunds = StartDownloadOrder::new(begin, end, ExportOrderType::Refunds, PayChannel::VirtualPayment)
        .unwrap()
        .with_refund_status(RefundFilter::All)
        .unwrap()
        .with_order_info("refund")
        .unwrap();
    let task_id = client.call(&merchant(), &refunds).await.unwrap().task_id;
    assert!(emulator.bills().bill_csv(Env::Sandbox).contains("refund-0001"));
    let mut answer =
        client.call(&merchant(), &QueryDownloadOrder { task_id: task_id.clone() }).await.unwrap();
    while answer.status() == ExportStatus::Running {
        answer = client.call(&merchant(), &QueryDownloadOrder { task_id: task_id.clone() }).await.unwrap();
    }
    let file = String::from_utf8(fetch(&client, &answer.download_url).await.unwrap()).unwrap();
    assert_eq!(file.lines().skip(1).filter(|row| row.contains("refund-0001")).count(), 1, "{file}");
    assert_eq!(file.lines().count(), 2);

    let unknown = client.call(&merchant(), &QueryDownloadOrder { task_id: "export-none".into() }).await;
    assert!(matches!(&unknown, Err(Error::Api(error)) if error.errcode() == 268_490_002), "{unknown:?}");
}

#[tokio::test]
async fn bad_dates_and_ranges_are_refused_before_anything_is_sent() {
    let (emulator, client) = setup().await;
    let empty = client.call(&merchant(), &QueryDownloadOrder { task_id: String::new() }).await;
    assert!(
        matches!(&empty, Err(Error::Validation(error)) if error.field() == "task_id" && *error.rule() == Rule::NotEmpty)
    );
    for bad in ["20230230", "2023081", "2023-08-01", "19991231", "20231301"] {
        assert!(BillDate::parse(bad).is_err(), "{bad}");
    }
    let backwards = DownloadBill::new(day("20230802"), day("20230801")).unwrap_err();
    assert!(matches!(Error::from(backwards), Error::Validation(error) if error.field() == "end_ds"));
    let long = StartDownloadOrder::new(
        day("20230801"),
        day("20230902"),
        ExportOrderType::Coins,
        PayChannel::VirtualPayment,
    );
    assert_eq!(long.unwrap_err().field(), "end_ds");
    assert!(
        StartDownloadOrder::new(
            day("20230801"),
            day("20230901"),
            ExportOrderType::Coins,
            PayChannel::VirtualPayment
        )
        .is_ok(),
        "31 days"
    );
    let coins = StartDownloadOrder::new(
        day("20230801"),
        day("20230801"),
        ExportOrderType::Coins,
        PayChannel::AppleIap,
    )
    .unwrap();
    assert_eq!(
        coins.clone().with_refund_status(RefundFilter::Refunded).unwrap_err().field(),
        "refund_status"
    );
    assert_eq!(coins.with_order_info("").unwrap_err().rule(), &Rule::NotEmpty);
    assert!(BillMonth::parse("202613").is_err());
    assert!(
        DownloadIosSettlementBill::new(
            BillMonth::parse("202606").unwrap(),
            BillMonth::parse("202601").unwrap()
        )
        .is_err()
    );
    assert_eq!(emulator.requests(), 0, "nothing was sent");
}

#[tokio::test]
async fn ios_settlement_bills_list_the_registered_months_of_the_range() {
    let (emulator, client) = setup().await;
    for month in ["202512", "202601", "202603", "202607"] {
        assert!(emulator.bills().add_ios_settlement_bill(
            Env::Sandbox,
            month,
            format!("settlement {month}\n").into_bytes()
        ));
    }
    let query = DownloadIosSettlementBill::new(
        BillMonth::parse("202601").unwrap(),
        BillMonth::parse("202606").unwrap(),
    )
    .unwrap();
    let answer = client.call(&merchant(), &query).await.unwrap();
    let months: Vec<&str> = answer.bill_list.iter().map(|bill| bill.month.as_str()).collect();
    assert_eq!(months, ["202601", "202603"]);
    assert_eq!(fetch(&client, &answer.bill_list[1].bill_url).await.unwrap(), b"settlement 202603\n");
    let production = Client::new(
        emulator_config(&emulator, Env::Production).build().unwrap(),
        StaticToken::new(emulator.access_token()),
    )
    .unwrap();
    assert!(
        production.call(&merchant(), &query).await.unwrap().bill_list.is_empty(),
        "registered in the sandbox only"
    );
}

#[tokio::test]
async fn the_documented_examples_are_sent_and_read_as_written() {
    let (_emulator, client) = setup().await;
    // start_download_order's request example: begin_ds and end_ds are numbers.
    let export = StartDownloadOrder::new(
        day("20260420"),
        day("20260420"),
        ExportOrderType::Coins,
        PayChannel::VirtualPayment,
    )
    .unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&client.prepare(&merchant(), &export).await.unwrap().body).unwrap();
    assert_eq!(
        (&body["begin_ds"], &body["end_ds"], &body["order_type"], &body["pay_channel"]),
        (&20_260_420.into(), &20_260_420.into(), &1.into(), &1.into())
    );
    assert_eq!(body["env"], 1);
    assert!(
        body.get("is_provided").is_none()
            && body.get("refund_status").is_none()
            && body.get("openid").is_none()
    );
    let goods = StartDownloadOrder::new(
        day("20260420"),
        day("20260420"),
        ExportOrderType::Goods,
        PayChannel::VirtualPayment,
    )
    .unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&client.prepare(&merchant(), &goods).await.unwrap().body).unwrap();
    assert_eq!(body["is_provided"], true, "goods exports list delivered orders unless told");

    // download_ios_settlement_bill's request example (its end_month, "20266", is not a month).
    let ios = DownloadIosSettlementBill::new(
        BillMonth::parse("202601").unwrap(),
        BillMonth::parse("202606").unwrap(),
    )
    .unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&client.prepare(&merchant(), &ios).await.unwrap().body).unwrap();
    assert_eq!((&body["start_month"], &body["end_month"]), (&"202601".into(), &"202606".into()));

    let query: DownloadOrderResponse = serde_json::from_str(
        r#"{"errcode":0,"errmsg":"","task_id":"","status":2,"download_url":"","expire_at":1745328000}"#,
    )
    .unwrap();
    assert_eq!((query.status(), query.expire_at), (ExportStatus::Succeeded, 1_745_328_000));
    let ios: IosSettlementBillResponse = serde_json::from_str(
        r#"{"errcode":0,"errmsg":"","bill_list":[{"month":"202501","bill_url":"https://..."}]}"#,
    )
    .unwrap();
    assert_eq!(
        (ios.bill_list[0].month.as_str(), ios.bill_list[0].bill_url.as_str()),
        ("202501", "https://...")
    );
}

/// `start_download_order` with untyped fields: what a client without the typed rules sends.
#[midas_api::midas_api(scheme = "xpay", path = "/xpay/start_download_order", response = Untyped, openid = false)]
#[derive(Clone, Debug)]
pub struct UntypedExport {
    /// Any number.
    pub begin_ds: i64,
    /// Any number.
    pub end_ds: i64,
    /// Any number.
    pub order_type: i64,
    /// Any number.
    pub pay_channel: i64,
    /// Any number.
    pub refund_status: Option<i64>,
}

/// `download_bill` with untyped days.
#[midas_api::midas_api(scheme = "xpay", path = "/xpay/download_bill", response = Untyped, openid = false)]
#[derive(Clone, Debug)]
pub struct UntypedBill {
    /// Any text.
    pub begin_ds: String,
    /// Any text.
    pub end_ds: String,
}

/// Any answer.
#[derive(Debug, serde::Deserialize)]
pub struct Untyped {}

#[tokio::test]
async fn the_server_refuses_what_the_typed_rules_would_not_send() {
    let (_emulator, client) = setup().await;
    let export = |begin_ds, end_ds, order_type, pay_channel, refund_status| UntypedExport {
        begin_ds,
        end_ds,
        order_type,
        pay_channel,
        refund_status,
    };
    for (request, field) in [
        (export(20230801, 20230902, 1, 1, None), "end_ds"),
        (export(20230802, 20230801, 1, 1, None), "end_ds"),
        (export(20230230, 20230301, 1, 1, None), "begin_ds"),
        (export(20230801, 20230801, 5, 1, None), "order_type"),
        (export(20230801, 20230801, 1, 3, None), "pay_channel"),
        (export(20230801, 20230801, 1, 1, Some(2)), "refund_status"),
    ] {
        let refused = client.call(&merchant(), &request).await;
        assert!(
            matches!(&refused, Err(Error::Api(error)) if error.errcode() == 268_490_002 && error.errmsg().contains(field)),
            "{request:?}: {refused:?}"
        );
    }
    let backwards = client
        .call(&merchant(), &UntypedBill { begin_ds: "20230802".into(), end_ds: "20230801".into() })
        .await;
    assert!(matches!(&backwards, Err(Error::Api(error)) if error.errcode() == 268_490_002), "{backwards:?}");
    let as_text = UntypedBill { begin_ds: "20230801".into(), end_ds: "20230801".into() };
    let generating = client.call(&merchant(), &as_text).await;
    assert!(
        matches!(&generating, Err(Error::Api(error)) if error.kind() == ApiErrorKind::StillGenerating),
        "days as text are read too"
    );
}

/// A bill's URL points at another host (a file store): the download sends it nothing of the
/// app's — no access token, no key, no signature — only a plain GET of the URL as given.
#[tokio::test]
async fn a_download_sends_no_secret_to_the_file_host() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (emulator, client) = setup().await;
    let file_host = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = file_host.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = file_host.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0_u8; 4096];
        while !request.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbill")
            .await
            .unwrap();
        String::from_utf8(request).unwrap()
    });

    let url = format!("http://{address}/bills/2023-08-01.csv?sign=file-store-sign");
    let file = client.download(&url, MAX_BYTES).await.unwrap().bytes().await.unwrap();
    assert_eq!(file, b"bill");
    let request = server.await.unwrap();
    assert!(request.starts_with("GET /bills/2023-08-01.csv?sign=file-store-sign HTTP/1.1\r\n"), "{request}");
    let token = emulator.access_token();
    for secret in [
        token.expose_secret(),
        emulator.payment_sandbox_key().expose_secret(),
        emulator.sandbox_key().expose_secret(),
        SESSION_KEY,
    ] {
        assert!(!request.contains(secret), "the file host received a secret: {request}");
    }
    for name in ["access_token", "pay_sig", "signature", "authorization", "cookie"] {
        assert!(!request.to_ascii_lowercase().contains(name), "the file host received `{name}`: {request}");
    }
}

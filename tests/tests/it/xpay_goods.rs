//! The xpay goods catalog against the local server: upload and publish tasks, one at a time,
//! finishing at a documented poll, and the catalog read back.

use midas_api::xpay::{
    GoodsTaskStatus, PublishGoodsResponse, QueryPublishGoods, QueryUploadGoods, StartPublishGoods,
    StartUploadGoods, UploadGoodsResponse, UploadItem,
};
use midas_api::{ApiErrorKind, Client, Env, Error, Player, RetryPolicy, Rule, StaticToken};
use midas_emulator::{Emulator, TASK_POLLS};
use midas_tests::emulator_config;

type TestClient = Client<midas_api::ReqwestTransport, StaticToken>;

async fn setup() -> (Emulator, TestClient) {
    let emulator = Emulator::start().await.unwrap();
    let config = emulator_config(&emulator, Env::Sandbox).retry(RetryPolicy::never()).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    (emulator, client)
}

fn merchant() -> Player {
    Player::new("merchant")
}

fn item(id: &str, price: i64) -> UploadItem {
    UploadItem::new(id, format!("{id} name"), price).unwrap()
}

async fn query_upload(client: &TestClient) -> UploadGoodsResponse {
    client.call(&merchant(), &QueryUploadGoods {}).await.unwrap()
}

async fn query_publish(client: &TestClient) -> PublishGoodsResponse {
    client.call(&merchant(), &QueryPublishGoods {}).await.unwrap()
}

#[tokio::test]
async fn uploaded_goods_join_the_catalog_at_the_documented_poll_and_publish_reads_back() {
    let (emulator, client) = setup().await;
    assert_eq!(query_upload(&client).await.status(), GoodsTaskStatus::None, "no task yet");

    let sword = item("sword-1", 600)
        .with_remark("sharp")
        .unwrap()
        .with_item_url("https://example.com/sword.png")
        .unwrap();
    let upload = StartUploadGoods::new(vec![sword, item("shield-1", 300)]).unwrap();
    client.call(&merchant(), &upload).await.unwrap();
    assert!(emulator.goods().task_running(Env::Sandbox));
    for _ in 1..TASK_POLLS {
        let running = query_upload(&client).await;
        assert_eq!(running.status(), GoodsTaskStatus::Running);
        assert!(running.upload_item.iter().all(|item| item.upload_status == 0));
        assert!(emulator.goods().catalog(Env::Sandbox).is_empty(), "applied when it finishes, not before");
    }
    let done = query_upload(&client).await;
    assert_eq!(done.status(), GoodsTaskStatus::Succeeded);
    assert_eq!(
        done.upload_item.iter().map(|item| (item.id.as_str(), item.upload_status)).collect::<Vec<_>>(),
        [("sword-1", 2), ("shield-1", 2)]
    );
    assert_eq!((done.upload_item[0].price, done.upload_item[0].remark.as_str()), (600, "sharp"));
    let catalog = emulator.goods().catalog(Env::Sandbox);
    assert_eq!(
        catalog.iter().map(|goods| (goods.id.as_str(), goods.price)).collect::<Vec<_>>(),
        [("shield-1", 300), ("sword-1", 600)]
    );
    assert!(emulator.goods().catalog(Env::Production).is_empty(), "one catalog per environment");

    client.call(&merchant(), &StartPublishGoods::new(["sword-1"]).unwrap()).await.unwrap();
    for _ in 1..TASK_POLLS {
        assert_eq!(query_publish(&client).await.status(), GoodsTaskStatus::Running);
    }
    let published = query_publish(&client).await;
    assert_eq!(published.status(), GoodsTaskStatus::Succeeded);
    assert_eq!(
        (published.publish_item[0].id.as_str(), published.publish_item[0].publish_status),
        ("sword-1", 2)
    );
    let names: Vec<String> =
        emulator.goods().published(Env::Sandbox).into_iter().map(|goods| goods.id).collect();
    assert_eq!(names, ["sword-1"]);
    assert_eq!(
        query_upload(&client).await.status(),
        GoodsTaskStatus::Succeeded,
        "the last upload is still reported"
    );
}

#[tokio::test]
async fn a_second_task_while_one_runs_is_refused_with_268490012() {
    let (emulator, client) = setup().await;
    client.call(&merchant(), &StartUploadGoods::new(vec![item("sword-1", 600)]).unwrap()).await.unwrap();
    for second in [
        client.call(&merchant(), &StartUploadGoods::new(vec![item("bow-1", 900)]).unwrap()).await,
        client.call(&merchant(), &StartPublishGoods::new(["sword-1"]).unwrap()).await,
    ] {
        assert!(
            matches!(&second, Err(Error::Api(error)) if error.errcode() == 268_490_012 && error.kind() == ApiErrorKind::OrderInProgress),
            "{second:?}"
        );
    }
    assert!(emulator.goods().finish_task(Env::Sandbox), "the driver finishes it");
    assert!(!emulator.goods().task_running(Env::Sandbox));
    assert_eq!(query_upload(&client).await.status(), GoodsTaskStatus::Succeeded);
    client.call(&merchant(), &StartPublishGoods::new(["sword-1"]).unwrap()).await.unwrap();
}

#[tokio::test]
async fn existing_ids_and_unknown_goods_are_reported_per_item() {
    let (emulator, client) = setup().await;
    client.call(&merchant(), &StartUploadGoods::new(vec![item("sword-1", 600)]).unwrap()).await.unwrap();
    emulator.goods().finish_task(Env::Sandbox);
    let again = StartUploadGoods::new(vec![item("sword-1", 999), item("bow-1", 900)]).unwrap();
    client.call(&merchant(), &again).await.unwrap();
    emulator.goods().finish_task(Env::Sandbox);
    let report = query_upload(&client).await;
    assert_eq!(report.status(), GoodsTaskStatus::PartlyFailed);
    assert_eq!(
        report.upload_item.iter().map(|item| item.upload_status).collect::<Vec<_>>(),
        [1, 2],
        "the id existed"
    );
    assert_eq!(emulator.goods().catalog(Env::Sandbox)[1].price, 600, "the catalog keeps the first");

    client.call(&merchant(), &StartPublishGoods::new(["bow-1", "nothing-1"]).unwrap()).await.unwrap();
    emulator.goods().finish_task(Env::Sandbox);
    let report = query_publish(&client).await;
    assert_eq!(report.status(), GoodsTaskStatus::PartlyFailed);
    assert_eq!((report.publish_item[1].publish_status, report.publish_item[1].errmsg.is_empty()), (3, false));
    assert_eq!(emulator.goods().published(Env::Sandbox).len(), 1);
}

#[tokio::test]
async fn bad_items_and_lists_are_refused_before_anything_is_sent() {
    let (emulator, client) = setup().await;
    assert_eq!(UploadItem::new("sword 1", "Sword", 600).unwrap_err().field(), "id");
    assert_eq!(UploadItem::new("s".repeat(65), "Sword", 600).unwrap_err().field(), "id");
    assert_eq!(UploadItem::new("sword-1", "", 600).unwrap_err().rule(), &Rule::NotEmpty);
    assert_eq!(
        UploadItem::new("sword-1", "x".repeat(1025), 600).unwrap_err().rule(),
        &Rule::Range { min: 1, max: 1024 }
    );
    assert_eq!(UploadItem::new("sword-1", "Sword", -1).unwrap_err().rule(), &Rule::Positive);
    assert_eq!(item("sword-1", 1).with_item_url("ftp://example.com/a.png").unwrap_err().rule(), &Rule::Url);
    assert_eq!(item("sword-1", 1).with_remark("line\nbreak").unwrap_err().rule(), &Rule::NoControlChars);
    assert_eq!(StartUploadGoods::new(Vec::new()).unwrap_err().rule(), &Rule::NotEmpty);
    let twice = StartUploadGoods::new(vec![item("sword-1", 1), item("sword-1", 2)]).unwrap_err();
    assert!(matches!(Error::from(twice), Error::Validation(error) if error.field() == "upload_item"));
    assert_eq!(StartPublishGoods::new(Vec::<String>::new()).unwrap_err().rule(), &Rule::NotEmpty);
    assert_eq!(StartPublishGoods::new(["sword 1"]).unwrap_err().field(), "publish_item");
    assert_eq!(emulator.requests(), 0, "nothing was sent");

    let dry_run = client
        .prepare(&merchant(), &StartUploadGoods::new(vec![item("sword-1", 600)]).unwrap())
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&dry_run.body).unwrap();
    assert_eq!(
        body["upload_item"],
        serde_json::json!([{ "id": "sword-1", "name": "sword-1 name", "price": 600 }])
    );
    let dry_run = client.prepare(&merchant(), &StartPublishGoods::new(["sword-1"]).unwrap()).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&dry_run.body).unwrap();
    assert_eq!(body["publish_item"], serde_json::json!([{ "id": "sword-1" }]));
}

#[test]
fn answers_shaped_as_the_public_sdks_read_them_decode() {
    // No page of these APIs could be found; the shape is the one the public SDKs decode.
    let upload: UploadGoodsResponse = serde_json::from_str(
        r#"{"errcode":0,"errmsg":"ok","status":2,"upload_item":[
            {"id":"a","name":"A","price":1,"remark":"r","item_url":"https://x/a.png","upload_status":3,"errmsg":"bad picture"}]}"#,
    )
    .unwrap();
    assert_eq!(
        (upload.status(), upload.upload_item[0].errmsg.as_str()),
        (GoodsTaskStatus::PartlyFailed, "bad picture")
    );
    let publish: PublishGoodsResponse =
        serde_json::from_str(r#"{"errcode":0,"errmsg":"ok","status":0}"#).unwrap();
    assert_eq!((publish.status(), publish.publish_item.len()), (GoodsTaskStatus::None, 0));
}

/// `start_upload_goods` with an untyped list: what a client without the typed rules sends.
#[midas_api::midas_api(scheme = "xpay", path = "/xpay/start_upload_goods", response = Untyped, openid = false)]
#[derive(Clone, Debug)]
pub struct UntypedUpload {
    /// Any JSON.
    #[midas(json)]
    pub upload_item: serde_json::Value,
}

/// Any answer.
#[derive(Debug, serde::Deserialize)]
pub struct Untyped {}

#[tokio::test]
async fn the_server_refuses_what_the_typed_rules_would_not_send() {
    let (emulator, client) = setup().await;
    for (items, field) in [
        (serde_json::json!([]), "upload_item"),
        (serde_json::json!([{ "id": "a b", "name": "A", "price": 1 }]), "id"),
        (serde_json::json!([{ "id": "a", "name": "", "price": 1 }]), "name"),
        (serde_json::json!([{ "id": "a", "name": "A", "price": 0 }]), "price"),
        (
            serde_json::json!([{ "id": "a", "name": "A", "price": 1 }, { "id": "a", "name": "B", "price": 2 }]),
            "id",
        ),
        (serde_json::json!([{ "id": "a", "name": "A" }]), "price"),
    ] {
        let refused = client.call(&merchant(), &UntypedUpload { upload_item: items.clone() }).await;
        assert!(
            matches!(&refused, Err(Error::Api(error)) if error.errcode() == 268_490_002 && error.errmsg().contains(field)),
            "{items}: {refused:?}"
        );
    }
    assert!(!emulator.goods().task_running(Env::Sandbox), "no task started");
}

//! The complaint APIs end to end: a player files a complaint (the emulator's desk), the service
//! lists it, reads it, answers with an uploaded image, completes it; every step reads back.
//! Midas' two drifts (`total` 0 past the first slice, one media object for a list) are
//! reproduced by the emulator and decoded by the client.

use midas_api::{Client, Env, Error, Player, ReqwestTransport, Rule, StaticToken, xpay};
use midas_emulator::{ComplaintOrderRecord, Emulator, PlayerComplaint, UploadSource};
use midas_tests::emulator_config;

const PNG: [u8; 16] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R'];

async fn setup() -> (Emulator, Client<ReqwestTransport, StaticToken>, Player) {
    let emulator = Emulator::start().await.unwrap();
    let config = emulator_config(&emulator, Env::Sandbox).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    // Complaint bodies carry no openid: any player value will do.
    (emulator, client, Player::new("service"))
}

fn filed(day: &str, detail: &str, images: usize) -> PlayerComplaint {
    PlayerComplaint {
        payer_openid: "player-1".into(),
        payer_phone: "138****0000".into(),
        complaint_time: format!("{day}T11:11:49+08:00"),
        complaint_detail: detail.into(),
        problem_type: "REFUND".into(),
        problem_description: "Charged but nothing delivered".into(),
        apply_refund_amount: 600,
        order: ComplaintOrderRecord {
            transaction_id: "4200000001".into(),
            out_trade_no: "channel-0001".into(),
            amount: 600,
            wxa_out_trade_no: "order-0001".into(),
            wx_order_id: "wx-0001".into(),
        },
        images,
    }
}

fn errcode<T: std::fmt::Debug>(result: Result<T, Error>) -> i64 {
    match result {
        Err(Error::Api(error)) => error.errcode(),
        other => panic!("expected a refusal by Midas, got {other:?}"),
    }
}

#[tokio::test]
async fn a_filed_complaint_is_listed_answered_with_evidence_and_completed() {
    let (emulator, client, player) = setup().await;
    let id = emulator.complaints().open_complaint(filed("2026-11-28", "Paid twice for one sword", 1));

    let list = client
        .call(&player, &xpay::GetComplaintList::new("2026-11-01", "2026-11-30", 0, 10).unwrap())
        .await
        .unwrap();
    assert_eq!(list.total, 1);
    let listed = &list.complaints[0];
    assert_eq!((listed.complaint_id.as_str(), listed.complaint_state.as_str()), (id.as_str(), "PENDING"));
    assert_eq!(listed.complaint_order_info[0].wxa_out_trade_no, "order-0001");
    assert_eq!(listed.complaint_media_list[0].media_type, "USER_COMPLAINT_IMAGE");
    let player_image = listed.complaint_media_list[0].media_url[0].clone();
    let outside = client
        .call(&player, &xpay::GetComplaintList::new("2026-12-01", "2026-12-31", 0, 10).unwrap())
        .await
        .unwrap();
    assert_eq!((outside.total, outside.complaints.len()), (0, 0));

    // The player's image: a signed header and a temporary copy.
    let sign = xpay::GetUploadFileSign::new(&id, &player_image, true).unwrap();
    let signed = client.call(&player, &sign).await.unwrap();
    assert!(signed.sign.starts_with("WECHATPAY2-SHA256-RSA2048 "), "{}", signed.sign);
    assert!(signed.cos_url.is_some_and(|url| url.contains(&id)));
    assert_eq!(emulator.complaints().signed_urls(), vec![player_image.clone()]);

    // The evidence goes up first, then the answer names it.
    let upload = xpay::UploadVpFile::image("receipt.png", &PNG).unwrap();
    let file_id = client.call(&player, &upload).await.unwrap().file_id;
    let uploaded = emulator.complaints().uploaded_files();
    assert_eq!(uploaded.len(), 1);
    assert_eq!(
        (uploaded[0].file_id.as_str(), uploaded[0].file_name.as_str()),
        (file_id.as_str(), "receipt.png")
    );
    assert_eq!(uploaded[0].source, UploadSource::Image(PNG.to_vec()), "the bytes arrive intact");

    let answer = xpay::ResponseComplaint {
        complaint_id: id.clone(),
        response_content: "Refunded today; receipt attached.".into(),
        response_images: vec![file_id.clone()],
    };
    client.call(&player, &answer).await.unwrap();
    let detail =
        client.call(&player, &xpay::GetComplaintDetail { complaint_id: id.clone() }).await.unwrap().complaint;
    assert_eq!(detail.complaint_state, "PROCESSING");
    assert_eq!(detail.apply_refund_amount, 600);

    let history = xpay::GetNegotiationHistory { complaint_id: id.clone(), offset: 0, limit: 10 };
    let steps = client.call(&player, &history).await.unwrap();
    assert_eq!(steps.total, 2);
    assert_eq!(steps.history[0].operate_type, "USER_CREATE_COMPLAINT");
    assert_eq!(steps.history[0].complaint_media_list[0].media_url, vec![player_image]);
    let answered = &steps.history[1];
    assert_eq!(
        (answered.operate_type.as_str(), answered.operate_details.as_str()),
        ("MERCHANT_RESPONSE", "Refunded today; receipt attached.")
    );
    // Sent as one object (the drift), read as a list of one.
    assert_eq!(answered.complaint_media_list.len(), 1);
    assert!(answered.complaint_media_list[0].media_url[0].ends_with(&file_id));

    client.call(&player, &xpay::CompleteComplaint { complaint_id: id.clone() }).await.unwrap();
    let again = client.call(&player, &xpay::CompleteComplaint { complaint_id: id.clone() }).await;
    assert_eq!(errcode(again), 268_490_004);
    let record = emulator.complaints().complaint(&id).unwrap();
    assert_eq!(record.state, "PROCESSED");
    assert_eq!(
        record.history.last().map(|step| step.operate_type.as_str()),
        Some("MERCHANT_CONFIRM_COMPLETE")
    );
    let late = client.call(&player, &xpay::ResponseComplaint { response_images: Vec::new(), ..answer }).await;
    assert_eq!(errcode(late), 268_490_002, "a processed complaint takes no answer");
}

#[tokio::test]
async fn the_list_total_is_zero_past_the_first_slice_as_midas_answers() {
    let (emulator, client, player) = setup().await;
    for detail in ["first", "second", "third"] {
        emulator.complaints().open_complaint(filed("2026-11-20", detail, 0));
    }
    let first = xpay::GetComplaintList::new("2026-11-20", "2026-11-20", 0, 2).unwrap();
    let page = client.call(&player, &first).await.unwrap();
    assert_eq!((page.total, page.complaints.len()), (3, 2));
    let rest = client.call(&player, &first.at(2)).await.unwrap();
    assert_eq!(rest.total, 0, "Midas' drift: no total past the first slice");
    assert_eq!(
        rest.complaints.iter().map(|c| c.complaint_detail.as_str()).collect::<Vec<_>>(),
        vec!["third"]
    );
}

#[tokio::test]
async fn a_player_message_waits_for_an_answer_and_the_answer_clears_it() {
    let (emulator, client, player) = setup().await;
    let id = emulator.complaints().open_complaint(filed("2026-11-28", "Still nothing", 0));
    assert!(emulator.complaints().player_reply(&id, "Any news?"));
    let detail =
        client.call(&player, &xpay::GetComplaintDetail { complaint_id: id.clone() }).await.unwrap().complaint;
    assert!(detail.incoming_user_response);

    let by_url = xpay::UploadVpFile::url("receipt.jpg", "https://cdn.example.com/receipt.jpg").unwrap();
    let file_id = client.call(&player, &by_url).await.unwrap().file_id;
    let answer = xpay::ResponseComplaint {
        complaint_id: id.clone(),
        response_content: "On it".into(),
        response_images: vec![file_id],
    };
    client.call(&player, &answer).await.unwrap();
    let detail =
        client.call(&player, &xpay::GetComplaintDetail { complaint_id: id.clone() }).await.unwrap().complaint;
    assert!(!detail.incoming_user_response);
    let steps = client
        .call(&player, &xpay::GetNegotiationHistory { complaint_id: id, offset: 1, limit: 1 })
        .await
        .unwrap();
    assert_eq!((steps.total, steps.history.len()), (3, 1));
    assert_eq!(steps.history[0].operate_type, "USER_RESPONSE");
    assert!(steps.history[0].complaint_media_list.is_empty());
}

#[tokio::test]
async fn unknown_complaints_files_and_foreign_images_are_refused_by_midas() {
    let (emulator, client, player) = setup().await;
    let id = emulator.complaints().open_complaint(filed("2026-11-28", "x", 1));
    let unknown = client.call(&player, &xpay::GetComplaintDetail { complaint_id: "404".into() }).await;
    assert_eq!(errcode(unknown), 268_490_002);
    let answer = xpay::ResponseComplaint {
        complaint_id: id.clone(),
        response_content: "see".into(),
        response_images: vec!["file-404".into()],
    };
    assert_eq!(errcode(client.call(&player, &answer).await), 268_490_002);
    let foreign =
        xpay::GetUploadFileSign::new(&id, format!("{}someone-else", xpay::WXPAY_IMAGE_PREFIX), false)
            .unwrap();
    assert_eq!(errcode(client.call(&player, &foreign).await), 268_490_002);
    let record = emulator.complaints().complaint(&id).unwrap();
    assert_eq!((record.state.as_str(), record.history.len()), ("PENDING", 1), "nothing changed");
    assert!(emulator.complaints().signed_urls().is_empty());
}

#[tokio::test]
async fn bad_complaint_input_is_refused_before_sending() {
    let (emulator, client, player) = setup().await;
    let requests = emulator.requests();
    let text = xpay::UploadVpFile::image("notes.txt", b"plain text").unwrap_err();
    assert!(matches!(text.rule(), Rule::FileType { .. }), "{text}");
    let big = vec![0xff; xpay::MAX_UPLOAD_IMAGE_BYTES + 1];
    assert_eq!(xpay::UploadVpFile::image("big.jpg", &big).unwrap_err().field(), "base64_img");
    assert_eq!(xpay::UploadVpFile::image("", &PNG).unwrap_err().field(), "file_name");
    assert_eq!(xpay::UploadVpFile::url("a.jpg", "cdn.example.com/a.jpg").unwrap_err().rule(), &Rule::Url);
    assert_eq!(
        xpay::GetComplaintList::new("2026-02-29", "2026-03-01", 0, 10).unwrap_err().field(),
        "begin_date"
    );
    assert_eq!(
        xpay::GetComplaintList::new("2026-11-01", "2026/11/30", 0, 10).unwrap_err().field(),
        "end_date"
    );
    assert_eq!(xpay::GetComplaintList::new("2026-11-01", "2026-11-30", 0, 0).unwrap_err().field(), "limit");
    assert!(xpay::GetUploadFileSign::new("1", "https://example.com/a.png", false).is_err());

    let no_limit = client
        .call(&player, &xpay::GetNegotiationHistory { complaint_id: "1".into(), offset: 0, limit: 0 })
        .await;
    assert!(matches!(&no_limit, Err(Error::Validation(error)) if error.field() == "limit"), "{no_limit:?}");
    let no_text = xpay::ResponseComplaint {
        complaint_id: "1".into(),
        response_content: String::new(),
        response_images: Vec::new(),
    };
    let refused = client.call(&player, &no_text).await;
    assert!(
        matches!(&refused, Err(Error::Validation(error)) if error.field() == "response_content"),
        "{refused:?}"
    );
    assert_eq!(emulator.requests(), requests, "nothing was sent");
}

#[test]
fn the_documented_shapes_and_the_drifted_ones_decode() {
    // Documented: an array of media, each with an array of URLs.
    let documented: xpay::GetNegotiationHistoryResponse = serde_json::from_str(
        r#"{"total":1,"history":[{"log_id":"l1","operator":"USER","operate_time":"2023-11-28T11:11:49+08:00","operate_type":"USER_CREATE_COMPLAINT","operate_details":"d","complaint_media_list":[{"media_type":"USER_COMPLAINT_IMAGE","media_url":["https://a/1","https://a/2"]}]}]}"#,
    )
    .unwrap();
    assert_eq!(documented.history[0].complaint_media_list[0].media_url.len(), 2);
    // Drifted: one object, and a lone URL as a string.
    let drifted: xpay::GetNegotiationHistoryResponse = serde_json::from_str(
        r#"{"total":"1","history":[{"log_id":"l2","operate_type":"MERCHANT_RESPONSE","complaint_media_list":{"media_type":"OPERATION_IMAGE","media_url":"https://a/3"}}]}"#,
    )
    .unwrap();
    assert_eq!(drifted.total, 1);
    assert_eq!(drifted.history[0].complaint_media_list[0].media_url, vec!["https://a/3".to_owned()]);
    let nothing: xpay::GetNegotiationHistoryResponse =
        serde_json::from_str(r#"{"history":[{"log_id":"l3","complaint_media_list":null}]}"#).unwrap();
    assert!(nothing.history[0].complaint_media_list.is_empty());

    let list: xpay::GetComplaintListResponse = serde_json::from_str(
        r#"{"total":0,"complaints":[{"complaint_id":"c1","complaint_full_refunded":1,"incoming_user_response":false,"user_complaint_times":"2","user_tag_list":["TRUSTED"]}]}"#,
    )
    .unwrap();
    let complaint = &list.complaints[0];
    assert!(complaint.complaint_full_refunded);
    assert_eq!(
        (complaint.user_complaint_times, complaint.user_tag_list.as_slice()),
        (2, &["TRUSTED".to_owned()][..])
    );
    let sign: xpay::GetUploadFileSignResponse = serde_json::from_str(r#"{"sign":"WECHATPAY2 x"}"#).unwrap();
    assert_eq!(sign.cos_url, None);
}

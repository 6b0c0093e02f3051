//! The axum router: GET echoes, POST receives, oversized bodies are refused unread.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use midas_push::{MemoryInbox, Mode, Receiver};
use tower::ServiceExt as _;

use crate::support::{Counter, builder, goods_delivery, opener, seal};

async fn call(app: axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf8"))
}

fn app(counter: &Counter) -> axum::Router {
    let config = builder(Mode::Safe).max_body(4096).build().expect("valid");
    let receiver = Receiver::new(opener(config), counter.handler(), MemoryInbox::new());
    midas_push::axum::router("/push", receiver)
}

#[tokio::test]
async fn get_answers_the_echo() {
    let counter = Counter::default();
    let uri = "/push?signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249";
    let (status, body) = call(app(&counter), Request::get(uri).body(Body::empty()).expect("request")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "4375120948345356249"));
    let (status, _) =
        call(app(&counter), Request::get("/push?echostr=1").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn post_receives_and_refuses() {
    let counter = Counter::default();
    let config = builder(Mode::Safe).build().expect("valid");
    let (query, body) = seal(&config, &goods_delivery("order-1"), "n1");
    let router = app(&counter);
    let request = Request::post(format!("/push?{query}")).body(Body::from(body.clone())).expect("request");
    let (status, reply) = call(router.clone(), request).await;
    assert_eq!((status, reply.as_str()), (StatusCode::OK, r#"{"ErrCode":0,"ErrMsg":"success"}"#));
    assert_eq!(counter.calls(), 1);

    let forged = query.replace("msg_signature=", "msg_signature=f");
    let request = Request::post(format!("/push?{forged}")).body(Body::from(body)).expect("request");
    let (status, _) = call(router.clone(), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let request =
        Request::post(format!("/push?{query}")).body(Body::from(vec![b' '; 5000])).expect("request");
    let (status, _) = call(router, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(counter.calls(), 1);
}

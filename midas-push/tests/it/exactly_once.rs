//! The receiver: one handler run per event, the same answer for every repeat, failures and
//! timeouts answered so that WeChat retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use midas_push::{
    Answer, Claim, EventKey, HandlerError, Inbox, IosRefundDecision, KeyKind, MemoryInbox, Mode, Push,
    Receiver, RefundAdvice, Refusal, Retry,
};

use crate::support::{
    PRODUCTION_KEY, config, counting_receiver, goods_delivery, mini_game_message, opener, seal,
};

#[tokio::test]
async fn a_repeated_delivery_runs_the_handler_once_and_answers_the_same() {
    let config = config(Mode::Safe);
    let first = seal(&config, &goods_delivery("order-1"), "n1");
    let repeat = seal(&config, &goods_delivery("order-1"), "n2");
    let other = seal(&config, &goods_delivery("order-2"), "n3");
    let (receiver, counter) = counting_receiver(config);
    let a = receiver.receive(&first.0, &first.1).await.expect("handled");
    let b = receiver.receive(&repeat.0, &repeat.1).await.expect("answered");
    assert_eq!(a, b);
    assert_eq!(a.body(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
    assert_eq!(counter.calls(), 1);
    receiver.receive(&other.0, &other.1).await.expect("handled");
    assert_eq!(counter.calls(), 2);
}

#[tokio::test]
async fn a_failed_handler_is_answered_with_a_failure_and_runs_again_on_the_repeat() {
    let config = config(Mode::Safe);
    let push = seal(
        &config,
        &mini_game_message(
            "minigame_coin_deliver_completed",
            r#"{"OpenId":"o","OutTradeNo":"c-1","Env":0,"CoinInfo":{}}"#,
            PRODUCTION_KEY,
            false,
        ),
        "n1",
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let handler = move |_push: Push| {
        let attempt = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt == 0 { Err(HandlerError::new("coin deduction failed")) } else { Ok(Answer::Success) }
        }
    };
    let receiver = Receiver::new(opener(config), handler, MemoryInbox::new());
    let refused = receiver.receive(&push.0, &push.1).await.expect_err("fails");
    assert!(matches!(refused.reason(), Refusal::Handler(_)));
    assert_eq!(refused.retry(), Retry::Yes);
    assert_eq!(refused.reply().status(), 200);
    assert_eq!(refused.reply().body(), r#"{"ErrCode":99999,"ErrMsg":"coin deduction failed"}"#);
    // The identical request again (its nonce is released after a failure): handled now.
    let reply = receiver.receive(&push.0, &push.1).await.expect("handled");
    assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"Success"}"#);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_concurrent_repeat_is_told_to_retry_while_the_first_runs() {
    let config = config(Mode::Safe);
    let first = seal(&config, &goods_delivery("order-1"), "n1");
    let repeat = seal(&config, &goods_delivery("order-1"), "n2");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let handler = move |_push: Push| {
        seen.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(Answer::Success)
        }
    };
    let receiver = Receiver::new(opener(config), handler, MemoryInbox::new());
    let (a, b) = tokio::join!(receiver.receive(&first.0, &first.1), async {
        tokio::task::yield_now().await;
        receiver.receive(&repeat.0, &repeat.1).await
    });
    a.expect("first handled");
    let refused = b.expect_err("repeat refused while in progress");
    assert!(matches!(refused.reason(), Refusal::InProgress));
    assert_eq!(refused.retry(), Retry::Yes);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_handler_times_out_and_frees_its_claim() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let repeat = seal(&config, &goods_delivery("order-1"), "n2");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let handler = move |_push: Push| {
        let attempt = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt == 0 {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Ok(Answer::Success)
        }
    };
    let receiver =
        Receiver::new(opener(config), handler, MemoryInbox::new()).budget(Duration::from_millis(20));
    let refused = receiver.receive(&push.0, &push.1).await.expect_err("times out");
    assert!(matches!(refused.reason(), Refusal::Timeout(_)));
    assert_eq!(refused.retry(), Retry::Yes);
    receiver.receive(&repeat.0, &repeat.1).await.expect("the re-push is handled");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn mock_pushes_are_answered_without_the_handler_unless_asked() {
    let config = config(Mode::Safe);
    let mock = mini_game_message(
        "minigame_coin_deliver_completed",
        r#"{"OpenId":"o","OutTradeNo":"m-1","Env":0,"CoinInfo":{}}"#,
        PRODUCTION_KEY,
        true,
    );
    let push = seal(&config, &mock, "n1");
    let (receiver, counter) = counting_receiver(config.clone());
    let reply = receiver.receive(&push.0, &push.1).await.expect("answered");
    assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"Success"}"#);
    assert_eq!(counter.calls(), 0);

    let counter = crate::support::Counter::default();
    let receiver = Receiver::new(opener(config), counter.handler(), MemoryInbox::new()).deliver_mocks(true);
    receiver.receive(&push.0, &push.1).await.expect("handled");
    assert_eq!(counter.calls(), 1);
}

#[tokio::test]
async fn the_ios_refund_decision_is_replayed_to_repeats() {
    let config = crate::support::builder(Mode::Safe)
        .reply_encryption(midas_push::ReplyEncryption::Never)
        .build()
        .expect("valid");
    let message = r#"{"Event":"xpay_subscribe_ios_refund_query_notify","pay_order_id":"p-1"}"#;
    let first = seal(&config, message, "n1");
    let repeat = seal(&config, message, "n2");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let handler = move |_push: Push| {
        seen.fetch_add(1, Ordering::SeqCst);
        async { Ok(Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "consumed"))) }
    };
    let receiver = Receiver::new(opener(config), handler, MemoryInbox::new());
    let a = receiver.receive(&first.0, &first.1).await.expect("handled");
    let b = receiver.receive(&repeat.0, &repeat.1).await.expect("answered");
    assert_eq!(a.body(), r#"{"ErrCode":0,"ErrMsg":"success","result_code":1,"result_info":"consumed"}"#);
    assert_eq!(a, b);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unknown_events_reach_the_handler_and_are_answered_success() {
    let config = config(Mode::Safe);
    let push = seal(&config, r#"{"MsgType":"event","Event":"brand_new"}"#, "n1");
    let (receiver, counter) = counting_receiver(config);
    let reply = receiver.receive(&push.0, &push.1).await.expect("handled");
    assert_eq!(reply.body(), "success");
    assert_eq!(counter.calls(), 1);
}

#[tokio::test]
async fn the_echo_goes_through_the_receiver() {
    let (receiver, counter) = counting_receiver(config(Mode::Safe));
    let reply = receiver
        .echo("signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249")
        .expect("verifies");
    assert_eq!((reply.status(), reply.body()), (200, "4375120948345356249"));
    let refused = receiver
        .echo("signature=0464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=1")
        .expect_err("refused");
    assert_eq!(refused.retry(), Retry::No);
    assert_eq!(counter.calls(), 0);
}

#[tokio::test]
async fn the_memory_inbox_follows_its_contract() {
    let inbox = MemoryInbox::new();
    let key = EventKey::new(KeyKind::Refund, "r-1");
    assert_eq!(inbox.claim(&key).await.expect("claim"), Claim::First);
    assert_eq!(inbox.claim(&key).await.expect("claim"), Claim::InProgress);
    inbox.abandon(&key).await.expect("abandon");
    assert_eq!(inbox.claim(&key).await.expect("claim"), Claim::First);
    inbox.complete(&key, &Answer::Success).await.expect("complete");
    assert_eq!(inbox.claim(&key).await.expect("claim"), Claim::Done(Answer::Success));
    inbox.abandon(&key).await.expect("abandon is a no-op once done");
    assert_eq!(inbox.claim(&key).await.expect("claim"), Claim::Done(Answer::Success));

    // An unfinished claim lapses after the lease.
    let short = MemoryInbox::with_lease(Duration::from_millis(10));
    assert_eq!(short.claim(&key).await.expect("claim"), Claim::First);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(short.claim(&key).await.expect("claim"), Claim::First);
}

#[tokio::test]
async fn a_delivery_and_a_refund_with_the_same_id_are_different_events() {
    let config = config(Mode::Safe);
    let delivery = seal(&config, &goods_delivery("same-id"), "n1");
    let refund = seal(&config, r#"{"Event":"xpay_refund_notify","MchRefundId":"same-id"}"#, "n2");
    let (receiver, counter) = counting_receiver(config);
    receiver.receive(&delivery.0, &delivery.1).await.expect("handled");
    receiver.receive(&refund.0, &refund.1).await.expect("handled");
    assert_eq!(counter.calls(), 2);
}

//! `prepare` makes exactly one heap allocation per request, the body, sized up front so that
//! it never grows. Counted by a `#[global_allocator]` wrapper around `System`.
//!
//! The counters are process-wide, so everything is measured in one test: no other test thread
//! allocates meanwhile.

use std::alloc::System;

use midas_api::{Env, MidasRequest, Pay, Present, prepare};
use midas_tests::{VectorKeys, load_vectors};
use serde_json::Value;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn vector<'v>(vectors: &'v Value, name: &str) -> &'v Value {
    vectors
        .as_array()
        .and_then(|all| all.iter().find(|vector| vector["name"] == name))
        .expect("vector present")
}

fn text<'v>(object: &'v Value, key: &str) -> &'v str {
    object[key].as_str().expect("a string")
}

/// Prepares `request` after a warm-up and checks what that one call allocated.
fn allocations_of_prepare<R: MidasRequest>(name: &str, request: &R, vector: &Value) {
    let keys = VectorKeys::of(vector);
    let input = keys.context(&vector["params"], Env::Production);
    for _ in 0..3 {
        drop(prepare(request, &input).expect("valid request"));
    }

    let region = Region::new(GLOBAL);
    let prepared = prepare(request, &input).expect("valid request");
    let change = region.change();

    assert_eq!(
        prepared.app_signature.as_str(),
        text(vector, "sig"),
        "{name}: the request measured is the vector's"
    );
    assert_eq!(change.allocations, 1, "{name}: one allocation, the body ({change:?})");
    assert_eq!(change.reallocations, 0, "{name}: the body never grows ({change:?})");
    assert_eq!(change.deallocations, 0, "{name}: nothing temporary on the heap ({change:?})");
    assert_eq!(change.bytes_allocated, prepared.body.capacity(), "{name}: the one allocation is the body");
    assert!(prepared.body.len() <= prepared.body.capacity());
}

#[test]
fn prepare_allocates_only_the_body_once() {
    let vectors = load_vectors("midas-v1-worked.json");

    let present = vector(&vectors, "present");
    let params = &present["params"];
    let request = Present {
        bill_no: text(params, "bill_no").to_owned(),
        present_counts: params["present_counts"].as_i64().expect("present_counts"),
    };
    allocations_of_prepare("present", &request, present);

    let pay = vector(&vectors, "pay-with-optionals");
    let params = &pay["params"];
    let request = Pay {
        amt: params["amt"].as_i64().expect("amt"),
        bill_no: text(params, "bill_no").to_owned(),
        pay_item: Some(text(params, "pay_item").to_owned()),
        app_remark: Some(text(params, "app_remark").to_owned()),
    };
    allocations_of_prepare("pay-with-optionals", &request, pay);
}

//! The books alone, without HTTP: replays, refunds in proportion, zones, overflow.

use super::*;

struct Books(Ledger);

impl Books {
    fn new() -> Self {
        let mut ledger = Ledger::default();
        ledger.open("p1", DEFAULT_ZONE_ID, 100);
        Self(ledger)
    }

    /// Applies `op` for `p1` in the sandbox, zone "1", the fingerprint tagged `tag`.
    fn call(&mut self, api: Api, op: Op, tag: &str) -> Result<Applied, Refusal> {
        self.call_as(api, Env::Sandbox, "p1", op, tag)
    }

    fn call_as(&mut self, api: Api, env: Env, openid: &str, op: Op, tag: &str) -> Result<Applied, Refusal> {
        self.call_in_zone(api, env, openid, DEFAULT_ZONE_ID, op, tag)
    }

    fn call_in_zone(
        &mut self,
        api: Api,
        env: Env,
        openid: &str,
        zone_id: &str,
        op: Op,
        tag: &str,
    ) -> Result<Applied, Refusal> {
        let entry = Entry {
            api,
            env,
            openid: Some(openid.to_owned()),
            zone_id: zone_id.to_owned(),
            op,
            fingerprint: vec![("tag".to_owned(), tag.to_owned()), ("zone".to_owned(), zone_id.to_owned())],
        };
        self.0.apply(&entry)
    }

    fn balance(&self) -> Balance {
        self.0.balance(Env::Sandbox, "p1", DEFAULT_ZONE_ID).unwrap_or_default()
    }

    /// Every wallet keeps `balance == save_amt + present_sum - cost_sum`, and the effects
    /// add up to what the wallets hold beyond their starting coins.
    fn assert_consistent(&self) {
        let mut moved: HashMap<&WalletKey, i128> = HashMap::new();
        let keys: Vec<WalletKey> = self
            .0
            .effects()
            .iter()
            .map(|effect| WalletKey::new(effect.env, &effect.openid, &effect.zone_id))
            .collect();
        for (effect, key) in self.0.effects().iter().zip(&keys) {
            let delta = match &effect.change {
                Change::Present { present_counts } => i128::from(*present_counts),
                Change::Pay { amt, .. } => -i128::from(*amt),
                Change::CancelPay { amt, .. } => i128::from(*amt),
                Change::Refund { amount, .. } => i128::from(*amount),
            };
            *moved.entry(key).or_default() += delta;
        }
        for (key, wallet) in &self.0.wallets {
            let b = wallet.report();
            assert_eq!(
                i128::from(b.balance),
                i128::from(b.save_amt) + i128::from(b.present_sum) - i128::from(b.cost_sum),
                "{key:?}: {b:?}"
            );
            assert!((0..=b.balance).contains(&b.gen_balance) && b.cost_sum >= 0, "{key:?}: {b:?}");
            let moved = moved.get(key).copied().unwrap_or_default();
            assert_eq!(i128::from(b.balance), i128::from(b.save_amt) + moved, "{key:?}: effects");
        }
    }

    fn changes(&self) -> Vec<Change> {
        self.0.effects().iter().map(|effect| effect.change.clone()).collect()
    }
}

fn pay(bill_no: &str, amount: i64) -> Op {
    Op::Pay { bill_no: bill_no.to_owned(), amount, payitem: None }
}

fn present(bill_no: &str, amount: i64) -> Op {
    Op::Present { bill_no: bill_no.to_owned(), amount }
}

fn cancel(pay_bill_no: &str) -> Op {
    Op::CancelRest { pay_bill_no: pay_bill_no.to_owned() }
}

fn refund(bill_no: &str, pay_bill_no: &str, amount: i64) -> Op {
    Op::Refund { bill_no: bill_no.to_owned(), pay_bill_no: pay_bill_no.to_owned(), amount, once: false }
}

fn refusal(result: Result<Applied, Refusal>) -> Option<Refusal> {
    result.err()
}

#[test]
fn a_registered_player_starts_with_topped_up_coins_in_both_environments() {
    let books = Books::new();
    for env in [Env::Production, Env::Sandbox] {
        let balance = books.0.balance(env, "p1", DEFAULT_ZONE_ID);
        assert_eq!(balance.map(|b| (b.balance, b.save_amt, b.first_save)), Some((100, 100, false)));
    }
    assert_eq!(books.0.balance(Env::Sandbox, "p2", DEFAULT_ZONE_ID), None);
    assert!(books.0.knows("p1") && !books.0.knows("p2"));
}

#[test]
fn pay_spends_gifted_coins_first() {
    let mut books = Books::new();
    assert!(books.call(Api::Present, present("g1", 30), "g1").is_ok());
    let paid = books.call(Api::V2Pay, pay("b1", 50), "b1").map(|applied| applied.done);
    assert_eq!(paid, Ok(Done::Pay { bill_no: "b1".into(), balance: 80, used_gen_amt: 30 }));
    let balance = books.balance();
    assert_eq!(
        (balance.balance, balance.gen_balance, balance.cost_sum, balance.present_sum, balance.save_sum),
        (80, 0, 50, 30, 130)
    );
}

#[test]
fn environments_keep_separate_books() {
    let mut books = Books::new();
    assert!(books.call(Api::Pay, pay("b1", 40), "b1").is_ok());
    assert_eq!(books.0.balance(Env::Production, "p1", DEFAULT_ZONE_ID).map(|b| b.balance), Some(100));
    // The same bill_no is free in the other environment.
    assert!(books.call_as(Api::Pay, Env::Production, "p1", pay("b1", 40), "b1").is_ok());
}

#[test]
fn the_same_call_again_is_replayed_without_a_second_effect() {
    let mut books = Books::new();
    let first = books.call(Api::Pay, pay("b1", 40), "b1");
    let again = books.call(Api::Pay, pay("b1", 40), "b1");
    assert_eq!(first.as_ref().map(|applied| applied.replayed), Ok(false));
    assert_eq!(again.as_ref().map(|applied| applied.replayed), Ok(true));
    assert_eq!(first.map(|applied| applied.done), again.map(|applied| applied.done));
    assert!(books.call(Api::Present, present("g1", 5), "g1").is_ok());
    assert_eq!(books.call(Api::Present, present("g1", 5), "g1").map(|applied| applied.replayed), Ok(true));
    assert_eq!((books.balance().balance, books.0.effects().len()), (65, 2));
}

#[test]
fn a_reused_bill_no_for_another_order_is_refused() {
    let mut books = Books::new();
    books.0.open("p2", DEFAULT_ZONE_ID, 100);
    assert!(books.call(Api::Pay, pay("b1", 40), "b1").is_ok());
    assert_eq!(refusal(books.call(Api::Pay, pay("b1", 41), "other")), Some(Refusal::BillNoTaken));
    assert_eq!(
        refusal(books.call_as(Api::Pay, Env::Sandbox, "p2", pay("b1", 40), "b1")),
        Some(Refusal::BillNoTaken)
    );
    assert_eq!(refusal(books.call(Api::Present, present("b1", 5), "b1")), Some(Refusal::BillNoTaken));
    // The same body through another generation is another order.
    assert_eq!(refusal(books.call(Api::V2Pay, pay("b1", 40), "b1")), Some(Refusal::BillNoTaken));
    assert_eq!(books.0.effects().len(), 1);
}

#[test]
fn pay_beyond_the_balance_is_refused_and_leaves_the_bill_no_free() {
    let mut books = Books::new();
    assert_eq!(refusal(books.call(Api::Pay, pay("b1", 101), "b1")), Some(Refusal::NotEnough));
    assert!(books.call(Api::Pay, pay("b1", 100), "b1").is_ok());
    assert_eq!(books.balance().balance, 0);
}

#[test]
fn cancelpay_gives_a_deduction_back_once() {
    let mut books = Books::new();
    assert!(books.call(Api::Present, present("g1", 10), "g1").is_ok());
    assert!(books.call(Api::Pay, pay("b1", 25), "b1").is_ok());
    assert!(books.call(Api::CancelPay, cancel("b1"), "c").is_ok());
    assert_eq!(refusal(books.call(Api::CancelPay, cancel("b1"), "c")), Some(Refusal::FullyRefunded));
    assert_eq!(refusal(books.call(Api::CancelPay, cancel("nope"), "c")), Some(Refusal::UnknownPay));
    assert_eq!(refusal(books.call(Api::CancelPay, cancel("g1"), "c")), Some(Refusal::UnknownPay));
    let balance = books.balance();
    assert_eq!((balance.balance, balance.gen_balance, balance.cost_sum), (110, 10, 0));
    assert_eq!(
        books.changes(),
        [
            Change::Present { present_counts: 10 },
            Change::Pay { amt: 25, used_gen_amt: 10 },
            Change::CancelPay { amt: 25, restored_gen_amt: 10 },
        ]
    );
}

#[test]
fn partial_refunds_restore_gifted_coins_in_proportion_up_to_the_pay() {
    let mut books = Books::new();
    assert!(books.call(Api::V2Present, present("g1", 10), "g1").is_ok());
    // 30 coins: 10 gifted, 20 topped up.
    assert!(books.call(Api::V2Pay, pay("b1", 30), "b1").is_ok());
    assert!(books.call(Api::V2CancelPay, refund("r1", "b1", 7), "r1").is_ok());
    assert!(books.call(Api::V2CancelPay, refund("r2", "b1", 8), "r2").is_ok());
    assert_eq!(
        refusal(books.call(Api::V2CancelPay, refund("r3", "b1", 16), "r3")),
        Some(Refusal::RefundTooLarge { left: 15 })
    );
    assert!(books.call(Api::V2CancelPay, refund("r3", "b1", 15), "r3").is_ok());
    assert_eq!(
        refusal(books.call(Api::V2CancelPay, refund("r4", "b1", 1), "r4")),
        Some(Refusal::FullyRefunded)
    );
    let restored: Vec<i64> = books
        .changes()
        .iter()
        .filter_map(|change| match change {
            Change::Refund { restored_gen_amt, .. } => Some(*restored_gen_amt),
            _ => None,
        })
        .collect();
    // floor(7/3) = 2, floor(15/3) - 2 = 3, 10 - 5 = 5.
    assert_eq!(restored, [2, 3, 5]);
    let balance = books.balance();
    assert_eq!((balance.balance, balance.gen_balance, balance.cost_sum), (110, 10, 0));
}

#[test]
fn a_pay_refundable_once_is_refused_a_second_refund() {
    let mut books = Books::new();
    assert!(books.call(Api::CurrencyPay, pay("b1", 30), "b1").is_ok());
    let once = |bill_no: &str, amount| Op::Refund {
        bill_no: bill_no.to_owned(),
        pay_bill_no: "b1".to_owned(),
        amount,
        once: true,
    };
    assert!(books.call(Api::CancelCurrencyPay, once("r1", 10), "r1").is_ok());
    assert_eq!(
        refusal(books.call(Api::CancelCurrencyPay, once("r2", 10), "r2")),
        Some(Refusal::AlreadyRefunded)
    );
    assert_eq!(books.balance().balance, 80);
}

#[test]
fn a_midas_1_cancel_gives_back_what_partial_refunds_left() {
    let mut books = Books::new();
    assert!(books.call(Api::Pay, pay("b1", 30), "b1").is_ok());
    assert!(books.call(Api::CancelCurrencyPay, refund("r1", "b1", 10), "r1").is_ok());
    assert!(books.call(Api::CancelPay, cancel("b1"), "c").is_ok());
    assert_eq!(books.changes().last(), Some(&Change::CancelPay { amt: 20, restored_gen_amt: 0 }));
    assert_eq!(books.balance().balance, 100);
}

#[test]
fn queries_see_the_players_own_orders_and_deliveries_any_pay_or_present() {
    let mut books = Books::new();
    books.0.open("p2", DEFAULT_ZONE_ID, 100);
    assert!(books.call(Api::V2Pay, pay("b1", 30), "b1").is_ok());
    assert!(books.call(Api::V2CancelPay, refund("r1", "b1", 10), "r1").is_ok());
    let query = |bill_no: &str| Op::Query { bill_no: bill_no.to_owned() };
    let Ok(Applied { done: Done::Order(view), .. }) = books.call(Api::QueryOrder, query("b1"), "q") else {
        panic!("b1 is p1's pay");
    };
    assert_eq!((view.kind, view.amount, view.refunded), (OrderKind::Pay, 30, 10));
    assert!(books.call(Api::QueryOrder, query("r1"), "q").is_ok());
    assert_eq!(
        refusal(books.call_as(Api::QueryOrder, Env::Sandbox, "p2", query("b1"), "q")),
        Some(Refusal::UnknownOrder)
    );
    let deliver = |bill_no: &str| Entry {
        api: Api::NotifyProvideGoods,
        env: Env::Sandbox,
        openid: None,
        zone_id: DEFAULT_ZONE_ID.to_owned(),
        op: Op::Deliver { bill_no: bill_no.to_owned() },
        fingerprint: Vec::new(),
    };
    assert_eq!(books.0.apply(&deliver("b1")).map(|applied| applied.done), Ok(Done::Delivered));
    assert_eq!(books.0.apply(&deliver("r1")), Err(Refusal::UnknownOrder));
    assert_eq!(books.0.apply(&deliver("nope")), Err(Refusal::UnknownOrder));
}

#[test]
fn unknown_players_are_refused() {
    let mut books = Books::new();
    assert_eq!(
        refusal(books.call_as(Api::GetBalance, Env::Sandbox, "stranger", Op::Balance, "b")),
        Some(Refusal::UnknownPlayer)
    );
}

#[test]
fn ledger_refuses_present_that_would_overflow() {
    let mut books = Books::new();
    assert!(books.call(Api::Present, present("g1", i64::MAX - 200), "g1").is_ok());
    let before = books.balance();
    for (api, bill_no) in [(Api::Present, "g2"), (Api::V2Present, "g3"), (Api::PresentCurrency, "g4")] {
        assert_eq!(refusal(books.call(api, present(bill_no, 101), bill_no)), Some(Refusal::Overflow));
        assert_eq!(refusal(books.call(api, present(bill_no, i64::MAX), bill_no)), Some(Refusal::Overflow));
    }
    assert_eq!(books.balance(), before, "nothing applied");
    assert_eq!(books.0.effects().len(), 1);
    // The refused bill_nos were never booked.
    assert!(books.call(Api::Present, present("g2", 100), "g2").is_ok());
    assert_eq!(books.balance().balance, i64::MAX);
    books.assert_consistent();
}

/// The old books saturated on presents and pays and subtracted on cancels: three rounds of
/// "fill up to the limit, pay it all" drove the third cancel's `cost_sum` below `i64::MIN`,
/// a panic after the pay was already marked refunded.
#[test]
fn ledger_cancel_never_panics_on_cost_sum_underflow() {
    let mut books = Books::new();
    let mut pays = Vec::new();
    for round in 0..3 {
        let gift = format!("g{round}");
        let room = i64::MAX - books.balance().balance;
        let gifted = books.call(Api::Present, present(&gift, room), &gift);
        assert!(matches!(gifted, Ok(_) | Err(Refusal::Overflow)), "{gifted:?}");
        let bill_no = format!("b{round}");
        match books.call(Api::Pay, pay(&bill_no, i64::MAX), &bill_no) {
            Ok(_) => pays.push(bill_no),
            Err(refusal) => assert_eq!(refusal, Refusal::NotEnough),
        }
    }
    for bill_no in &pays {
        let cancelled = books.call(Api::CancelPay, cancel(bill_no), "c");
        assert!(matches!(cancelled, Ok(_) | Err(Refusal::Overflow)), "{cancelled:?}");
    }
    books.assert_consistent();
    let balance = books.balance();
    assert_eq!((balance.balance, balance.cost_sum), (i64::MAX, 0), "{balance:?}");
}

#[test]
fn wallets_are_kept_per_zone() {
    let mut books = Books::new();
    let zone = |books: &mut Books, zone_id: &str, op: Op, tag: &str| {
        books.call_in_zone(Api::V2Present, Env::Sandbox, "p1", zone_id, op, tag)
    };
    assert!(zone(&mut books, "2", present("g1", 30), "g1").is_ok());
    assert_eq!(books.balance().balance, 100, "zone 1 unchanged");
    let zone_2 = books.0.balance(Env::Sandbox, "p1", "2");
    assert_eq!(zone_2.map(|b| (b.balance, b.gen_balance, b.save_amt)), Some((30, 30, 0)));
    // A pay in zone 2 cannot be cancelled from zone 1.
    let paid = books.call_in_zone(Api::V2Pay, Env::Sandbox, "p1", "2", pay("b1", 20), "b1");
    assert!(paid.is_ok());
    assert_eq!(refusal(books.call(Api::V2CancelPay, refund("r1", "b1", 5), "r1")), Some(Refusal::UnknownPay));
    assert!(
        books.call_in_zone(Api::V2CancelPay, Env::Sandbox, "p1", "2", refund("r1", "b1", 5), "r1").is_ok()
    );
    assert_eq!(books.0.balance(Env::Sandbox, "p1", "2").map(|b| b.balance), Some(15));
    let untouched = books.0.balance(Env::Sandbox, "p1", "3");
    assert_eq!(untouched.map(|b| (b.balance, b.first_save)), Some((0, true)));
    books.assert_consistent();
}

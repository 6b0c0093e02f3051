//! The ad-fund APIs end to end: the client against the emulator's ad-fund desk, WeChat's side
//! driven from the test, every change read back through the APIs and the desk.

use midas_api::{Client, Env, Error, Player, ReqwestTransport, Rule, StaticToken, xpay};
use midas_emulator::{AdAccount, Emulator, FundGrant, Recovery};
use midas_tests::emulator_config;

const SETTLE_BEGIN: i64 = 1_761_955_200;
const SETTLE_END: i64 = 1_764_547_199;

async fn setup() -> (Emulator, Client<ReqwestTransport, StaticToken>, Player) {
    let emulator = Emulator::start().await.unwrap();
    let config = emulator_config(&emulator, Env::Sandbox).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    // Ad-fund bodies carry no openid: any player value will do.
    (emulator, client, Player::new("service"))
}

fn grant(total_amount: i64) -> FundGrant {
    FundGrant {
        settle_begin: SETTLE_BEGIN,
        settle_end: SETTLE_END,
        total_amount,
        expire_time: 1_767_225_599,
        fund_type: 1,
    }
}

fn transfer(request_id: &str, amount: i64) -> xpay::FundsTransfer {
    xpay::FundsTransfer {
        request_id: request_id.into(),
        transfer_amount: amount,
        transfer_account_uid: 7_001,
        transfer_account_name: "Example Ads".into(),
        transfer_account_agency_id: 9_001,
        settle_begin: SETTLE_BEGIN,
        settle_end: SETTLE_END,
        fund_type: xpay::FundType::AdIncentive,
        authorize_advertise: true,
    }
}

fn errcode<T: std::fmt::Debug>(result: Result<T, Error>) -> i64 {
    match result {
        Err(Error::Api(error)) => error.errcode(),
        other => panic!("expected a refusal by Midas, got {other:?}"),
    }
}

/// Binds and approves account 7001 and grants `amount` fen; returns the grant's id.
async fn bound_and_funded(
    emulator: &Emulator,
    client: &Client<ReqwestTransport, StaticToken>,
    player: &Player,
    amount: i64,
) -> String {
    emulator.ad_funds().open_account(AdAccount::new(7_001, "Example Ads", "Example Games Ltd", 9_001));
    let bind = xpay::BindTransferAccount::by_uid(7_001).unwrap().with_org_name("Example Games Ltd").unwrap();
    client.call(player, &bind).await.unwrap();
    assert!(emulator.ad_funds().review_binding(7_001, true, ""));
    emulator.ad_funds().grant_funds(grant(amount))
}

#[tokio::test]
async fn a_bound_account_is_reviewed_then_funded_and_the_transfer_reads_back() {
    let (emulator, client, player) = setup().await;
    emulator.ad_funds().open_account(AdAccount::new(7_001, "Example Ads", "Example Games Ltd", 9_001));
    let fund_id = emulator.ad_funds().grant_funds(grant(100_000));

    client
        .call(&player, &xpay::BindTransferAccount::by_org_name("Example Games Ltd").unwrap())
        .await
        .unwrap();
    let accounts = client.call(&player, &xpay::QueryTransferAccount {}).await.unwrap().acct_list;
    assert_eq!(accounts.len(), 1);
    assert_eq!((accounts[0].transfer_account_uid, accounts[0].state), (7_001, 0), "pending review");

    // A transfer before the review passes is refused: the account is not valid yet.
    let early =
        client.call(&player, &xpay::CreateFundsBill::new(transfer("early-0001", 1_000)).unwrap()).await;
    assert_eq!(errcode(early), 268_490_022);

    assert!(emulator.ad_funds().review_binding(7_001, true, ""));
    let accounts = client.call(&player, &xpay::QueryTransferAccount {}).await.unwrap().acct_list;
    assert_eq!((accounts[0].state, accounts[0].bind_result), (1, 1));
    assert_eq!(accounts[0].transfer_account_agency_id, 9_001);

    let bill = xpay::CreateFundsBill::new(transfer("transfer-0001", 30_000)).unwrap();
    let bill_id = client.call(&player, &bill).await.unwrap().bill_id;

    let funds = client.call(&player, &xpay::QueryAdverFunds::default()).await.unwrap();
    assert_eq!(funds.total_page, 1);
    assert_eq!(funds.adver_funds_list[0].fund_id, fund_id);
    assert_eq!(
        (funds.adver_funds_list[0].total_amount, funds.adver_funds_list[0].remain_amount),
        (100_000, 70_000)
    );

    let query = xpay::QueryFundsBill {
        page: 1,
        page_size: 10,
        filter: xpay::FundsBillFilter {
            oper_time_begin: 0,
            oper_time_end: i64::MAX,
            bill_id: None,
            request_id: Some("transfer-0001".into()),
        },
    };
    let bills = client.call(&player, &query).await.unwrap().bill_list;
    assert_eq!(bills.len(), 1);
    assert_eq!(
        (bills[0].bill_id.as_str(), bills[0].transfer_amount, bills[0].status),
        (bill_id.as_str(), 30_000, 0)
    );
    assert_eq!((bills[0].fund_id.as_str(), bills[0].settle_begin), (fund_id.as_str(), SETTLE_BEGIN));

    assert!(emulator.ad_funds().finish_funds_bill(&bill_id, true));
    let bills = client.call(&player, &query).await.unwrap().bill_list;
    assert_eq!(bills[0].status, 1, "done");
    assert_eq!(emulator.ad_funds().funds_bill(&bill_id).map(|bill| bill.authorize_advertise), Some(1));
}

#[tokio::test]
async fn a_reused_request_id_is_refused_as_already_done_and_transfers_nothing() {
    let (emulator, client, player) = setup().await;
    let fund_id = bound_and_funded(&emulator, &client, &player, 50_000).await;
    let bill = xpay::CreateFundsBill::new(transfer("transfer-0002", 10_000)).unwrap();
    client.call(&player, &bill).await.unwrap();

    let again = client.call(&player, &bill).await;
    assert_eq!(errcode(again), 268_490_004);
    let other_amount = xpay::CreateFundsBill::new(transfer("transfer-0002", 5_000)).unwrap();
    assert_eq!(errcode(client.call(&player, &other_amount).await), 268_490_004);
    assert_eq!(emulator.ad_funds().grant(&fund_id).map(|grant| grant.remain_amount), Some(40_000));
}

#[tokio::test]
async fn account_errors_are_the_documented_errcodes() {
    let (emulator, client, player) = setup().await;
    let desk = emulator.ad_funds();
    desk.open_account(AdAccount::new(7_001, "Example Ads", "Example Games Ltd", 9_001));
    desk.open_account(AdAccount { bound_to_other_app: true, ..AdAccount::new(7_002, "B", "B Ltd", 9_001) });
    desk.open_account(AdAccount { other_industry: true, ..AdAccount::new(7_003, "C", "C Ltd", 9_001) });
    desk.open_account(AdAccount {
        onboarding_incomplete: true,
        ..AdAccount::new(7_004, "D", "D Ltd", 9_001)
    });

    let bind = |uid| xpay::BindTransferAccount::by_uid(uid).unwrap();
    assert_eq!(errcode(client.call(&player, &bind(7_999)).await), 268_490_022);
    let wrong_entity = bind(7_001).with_org_name("Someone Else Ltd").unwrap();
    assert_eq!(errcode(client.call(&player, &wrong_entity).await), 268_490_020);
    assert_eq!(errcode(client.call(&player, &bind(7_002)).await), 268_490_019);
    assert_eq!(errcode(client.call(&player, &bind(7_003)).await), 268_490_018);
    assert_eq!(errcode(client.call(&player, &bind(7_004)).await), 268_490_021);
    assert!(desk.bindings().is_empty(), "no refused binding is kept");

    client.call(&player, &bind(7_001)).await.unwrap();
    assert_eq!(errcode(client.call(&player, &bind(7_001)).await), 268_490_004);
    assert!(desk.review_binding(7_001, true, ""));
    let fund_id = desk.grant_funds(grant(20_000));

    let too_much = xpay::CreateFundsBill::new(transfer("transfer-0003", 20_001)).unwrap();
    assert_eq!(errcode(client.call(&player, &too_much).await), 268_490_023);
    let wrong_name =
        xpay::FundsTransfer { transfer_account_name: "Other".into(), ..transfer("transfer-0004", 1) };
    assert_eq!(
        errcode(client.call(&player, &xpay::CreateFundsBill::new(wrong_name).unwrap()).await),
        268_490_020
    );
    assert_eq!(desk.grant(&fund_id).map(|grant| grant.remain_amount), Some(20_000), "refusals take nothing");

    // A failed transfer gives its amount back to the grant.
    let bill_id = client
        .call(&player, &xpay::CreateFundsBill::new(transfer("transfer-0005", 8_000)).unwrap())
        .await
        .unwrap()
        .bill_id;
    assert_eq!(desk.grant(&fund_id).map(|grant| grant.remain_amount), Some(12_000));
    assert!(desk.finish_funds_bill(&bill_id, false));
    assert!(!desk.finish_funds_bill(&bill_id, true), "settled once");
    assert_eq!(desk.grant(&fund_id).map(|grant| grant.remain_amount), Some(20_000));
    assert_eq!(desk.funds_bill(&bill_id).map(|bill| bill.status), Some(2));
}

#[tokio::test]
async fn a_rejected_binding_reads_back_with_its_reason_and_can_be_bound_again() {
    let (emulator, client, player) = setup().await;
    emulator.ad_funds().open_account(AdAccount::new(7_001, "Example Ads", "Example Games Ltd", 9_001));
    client.call(&player, &xpay::BindTransferAccount::by_uid(7_001).unwrap()).await.unwrap();
    assert!(emulator.ad_funds().review_binding(7_001, false, "licence expired"));
    let account = client.call(&player, &xpay::QueryTransferAccount {}).await.unwrap().acct_list.remove(0);
    assert_eq!((account.state, account.bind_result, account.error_msg.as_str()), (2, 2, "licence expired"));

    client.call(&player, &xpay::BindTransferAccount::by_uid(7_001).unwrap()).await.unwrap();
    assert_eq!(emulator.ad_funds().bindings().iter().map(|b| b.state).collect::<Vec<_>>(), vec![0]);
}

#[tokio::test]
async fn grants_are_filtered_and_paged() {
    let (emulator, client, player) = setup().await;
    for fund_type in [0, 1, 1, 2, 1] {
        emulator.ad_funds().grant_funds(FundGrant { fund_type, ..grant(1_000) });
    }
    let incentives = xpay::QueryAdverFunds {
        page: Some(2),
        page_size: Some(2),
        filter: Some(xpay::AdverFundsFilter {
            fund_type: Some(xpay::FundType::AdIncentive),
            ..Default::default()
        }),
    };
    let answer = client.call(&player, &incentives).await.unwrap();
    assert_eq!((answer.total_page, answer.adver_funds_list.len()), (2, 1), "3 incentives, 2 a page");
    assert_eq!(
        xpay::FundType::from_code(answer.adver_funds_list[0].fund_type),
        Some(xpay::FundType::AdIncentive)
    );
    let later = xpay::AdverFundsFilter { settle_begin: Some(SETTLE_END), ..Default::default() };
    let none = client
        .call(&player, &xpay::QueryAdverFunds { filter: Some(later), ..Default::default() })
        .await
        .unwrap();
    assert!(none.adver_funds_list.is_empty());
}

#[tokio::test]
async fn recoveries_and_order_downloads_read_back() {
    let (emulator, client, player) = setup().await;
    let fund_id = bound_and_funded(&emulator, &client, &player, 10_000).await;
    let recovery = Recovery {
        fund_id: fund_id.clone(),
        amount: 2_500,
        account_name: "Example Ads".into(),
        refund_order_list: vec!["refund-0001".into()],
    };
    let recover_id = emulator.ad_funds().recover_funds(recovery.clone()).unwrap();
    assert!(
        emulator.ad_funds().recover_funds(Recovery { amount: 7_501, ..recovery }).is_none(),
        "only what is left"
    );

    let query = xpay::QueryRecoverBill {
        page: 1,
        page_size: 10,
        filter: xpay::RecoverBillFilter {
            recover_time_begin: 0,
            recover_time_end: i64::MAX,
            bill_id: Some(recover_id.clone()),
        },
    };
    let bills = client.call(&player, &query).await.unwrap().bill_list;
    assert_eq!(bills.len(), 1);
    assert_eq!((bills[0].recover_amount, bills[0].fund_id.as_str()), (2_500, fund_id.as_str()));
    assert_eq!(bills[0].refund_order_list, vec!["refund-0001".to_owned()]);
    assert_eq!(emulator.ad_funds().grant(&fund_id).map(|grant| grant.remain_amount), Some(7_500));

    let link =
        client.call(&player, &xpay::DownloadAdverfundsOrder { fund_id: fund_id.clone() }).await.unwrap();
    assert!(link.url.contains(&fund_id), "{}", link.url);
    assert_eq!(emulator.ad_funds().downloads(), vec![fund_id]);
    let unknown = client.call(&player, &xpay::DownloadAdverfundsOrder { fund_id: "fund-404".into() }).await;
    assert_eq!(errcode(unknown), 268_490_002);
}

#[tokio::test]
async fn bad_ad_fund_input_is_refused_before_sending() {
    let (emulator, client, player) = setup().await;
    let fund_id = bound_and_funded(&emulator, &client, &player, 10_000).await;
    let requests = emulator.requests();

    assert_eq!(xpay::CreateFundsBill::new(transfer("t-1", 0)).unwrap_err().rule(), &Rule::Positive);
    assert_eq!(
        xpay::CreateFundsBill::new(transfer(&"r".repeat(1_025), 1)).unwrap_err().field(),
        "request_id"
    );
    assert_eq!(xpay::CreateFundsBill::new(transfer("", 1)).unwrap_err().rule(), &Rule::NotEmpty);
    assert_eq!(xpay::BindTransferAccount::by_uid(-1).unwrap_err().field(), "transfer_account_uid");
    assert_eq!(
        xpay::BindTransferAccount::by_org_name("line\nbreak").unwrap_err().rule(),
        &Rule::NoControlChars
    );

    let page_zero = xpay::QueryFundsBill { page: 0, page_size: 10, filter: xpay::FundsBillFilter::default() };
    let refused = client.call(&player, &page_zero).await;
    assert!(matches!(&refused, Err(Error::Validation(error)) if error.field() == "page"), "{refused:?}");
    let empty_fund = client.call(&player, &xpay::DownloadAdverfundsOrder { fund_id: String::new() }).await;
    assert!(
        matches!(&empty_fund, Err(Error::Validation(error)) if error.field() == "fund_id"),
        "{empty_fund:?}"
    );
    assert_eq!(emulator.requests(), requests, "nothing was sent");
    assert!(emulator.ad_funds().downloads().is_empty());
    assert_eq!(emulator.ad_funds().grant(&fund_id).map(|grant| grant.remain_amount), Some(10_000));
}

#[test]
fn answers_decode_with_numbers_as_text_and_fields_left_out() {
    // The pages give no examples; these are the documented fields as the server may send them.
    let accounts: xpay::QueryTransferAccountResponse = serde_json::from_str(
        r#"{"acct_list":[{"transfer_account_name":"Example Ads","transfer_account_uid":"7001","transfer_account_agency_id":9001,"transfer_account_agency_name":"agency","state":1,"bind_result":"1","error_msg":""}]}"#,
    )
    .unwrap();
    assert_eq!((accounts.acct_list[0].transfer_account_uid, accounts.acct_list[0].bind_result), (7_001, 1));
    let empty: xpay::QueryTransferAccountResponse = serde_json::from_str("{}").unwrap();
    assert!(empty.acct_list.is_empty());
    let funds: xpay::QueryAdverFundsResponse =
        serde_json::from_str(r#"{"adver_funds_list":[{"fund_id":"f1","total_amount":"100","remain_amount":null}],"total_page":"3"}"#).unwrap();
    assert_eq!(
        (funds.total_page, funds.adver_funds_list[0].total_amount, funds.adver_funds_list[0].remain_amount),
        (3, 100, 0)
    );
    assert!(serde_json::from_str::<xpay::QueryAdverFundsResponse>(r#"{"total_page":"many"}"#).is_err());
}

//! The spec of `#[midas_api]`: every accepted form compiles and behaves (`ui/pass`), and every
//! broken rule is one compile error at the token to change, with a message that says what to do
//! (`ui/fail`, each with its checked-in `.stderr`). Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite` and review their diff.

#[test]
fn midas_api_attribute() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}

//! The spec of `#[midas_api]`: every accepted form compiles and behaves (`ui/pass`), and every
//! broken rule is one compile error at the token to change, with a message that says what to do
//! (`ui/fail`, each with its checked-in `.stderr`). Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite` and review their diff.
//!
//! Compiler messages change between Rust releases, so the `.stderr` files are pinned to the
//! toolchain named in `tests/ui/TOOLCHAIN` (the one `.ci/run` uses). On another compiler the
//! pass cases still run, and the compile-fail cases are checked on the pinned one only (run
//! `cargo +<that version> test -p midas-tests --test it ui`): a compiler upgrade does not turn
//! every `.stderr` red for someone who changed nothing.

use std::path::Path;
use std::process::Command;

/// The toolchain the `.stderr` files were written by, e.g. `1.95.0`.
fn pinned_toolchain() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/TOOLCHAIN");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
        .trim()
        .to_owned()
}

/// The version of the compiler the tests build with, e.g. `1.95.0`.
fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(rustc).arg("--version").output().expect("rustc runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().nth(1).unwrap_or_default().to_owned()
}

#[test]
fn midas_api_attribute() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    let (pinned, current) = (pinned_toolchain(), rustc_version());
    if current == pinned {
        cases.compile_fail("tests/ui/fail/*.rs");
    } else {
        eprintln!(
            "rustc {current} is not {pinned}, the toolchain tests/ui/fail/*.stderr were written by: \
             compile-fail messages are checked with `cargo +{pinned} test -p midas-tests --test it ui`"
        );
    }
}

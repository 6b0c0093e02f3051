#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each; FUZZ_SECONDS to change).
# Needs a nightly toolchain; uses cargo-fuzz when installed (`cargo install cargo-fuzz`),
# otherwise builds the targets with the same coverage flags and runs libFuzzer directly.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
targets=(decode token_answer verify open_push)

if cargo +nightly fuzz --version >/dev/null 2>&1; then
    for target in "${targets[@]}"; do
        echo "== fuzzing ${target} for ${seconds}s"
        cargo +nightly fuzz run "${target}" -- -max_total_time="${seconds}"
    done
    exit 0
fi

triple="$(rustc -vV | sed -n 's/^host: //p')"
target_dir="${CARGO_TARGET_DIR:-target}"
# The flags cargo-fuzz passes; `--target` keeps them off build scripts and proc macros.
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions" \
    cargo +nightly build --release --target "${triple}" --target-dir "${target_dir}"
for target in "${targets[@]}"; do
    mkdir -p "corpus/${target}" "artifacts/${target}"
    echo "== fuzzing ${target} for ${seconds}s"
    "${target_dir}/${triple}/release/${target}" -max_total_time="${seconds}" \
        -artifact_prefix="artifacts/${target}/" "corpus/${target}"
done

//! Benchmarks of midas-rs live in `benches/`; run them with `cargo bench -p midas-bench`.

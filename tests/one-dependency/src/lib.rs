//! A crate whose only dependency is `midas-api`: the README's Rust blocks are its doctests, so
//! every one of them compiles (and the runnable ones run) with nothing else.
#![doc = include_str!("../../../README.md")]

//! Any bytes → plan.toml parser (syntax, keys, types, values): a plan or problems, never a panic.
//! The parser lives in the `ecoplan` binary crate; its dependency-free modules are
//! compiled in here by path with the class-preset module (they refer to each other as `super::…`, i.e. this crate's root).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../crates/ecoplan/src/config/model.rs"]
mod model;
#[allow(dead_code, unused_imports)]
#[path = "../../crates/ecoplan/src/config/parse.rs"]
mod parse;
#[allow(dead_code, unused_imports)]
#[path = "../../crates/ecoplan/src/config/problem.rs"]
mod problem;
#[allow(dead_code, unused_imports)]
#[path = "../../crates/ecoplan/src/config/classes.rs"]
mod classes;
/// `classes.rs` names the problem module by its path in the binary crate.
mod config {
    pub(crate) use crate::problem;
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse::parse_plan(std::path::Path::new("fuzz.toml"), text);
    }
});

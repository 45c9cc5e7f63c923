//! The `ecoplan` command line.

fn main() {
    println!("ecoplan {}", env!("CARGO_PKG_VERSION"));
}

//! Rebuild when migrations change, so `embed_migrations!` picks up new ones.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

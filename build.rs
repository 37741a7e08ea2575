// sqlx's `migrate!` embeds the migration files; a new or changed file must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

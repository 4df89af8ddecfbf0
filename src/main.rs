//! The shop's server binary. Everything it does lives in `storefront::server`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    storefront::server::run().await
}

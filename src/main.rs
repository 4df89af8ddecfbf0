//! The shop's server binary. Everything it does lives in `storefront::server`.

/// mimalloc instead of glibc's malloc: rendering a page allocates many small strings
/// from both cores at once, and glibc's arenas spent a fifth of the CPU on locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `storefront operator add NAME`: a subcommand, not a shop.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if storefront::admin::cli::run(&args).await? {
        return Ok(());
    }
    storefront::server::run().await
}

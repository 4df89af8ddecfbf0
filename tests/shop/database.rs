//! Each test's own database, on the engine this run tests.
//!
//! `STOREFRONT_TEST_DATABASE=postgres` runs every test on PostgreSQL: this test binary
//! starts its own PostgreSQL 15 cluster in a temporary directory (listening only on a
//! Unix socket there), migrates a template database once, and gives each test a fresh
//! copy of it. Anything else (the default) gives each test a SQLite file in its own
//! data directory. The same tests run on both: a matrix, not two copies.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
};
use storefront::server::store::Engine;
use tokio::sync::OnceCell;

/// Where Debian's PostgreSQL 15 server programs are (`PG_BIN` overrides it).
const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The engine this run tests.
pub fn engine() -> Engine {
    match std::env::var("STOREFRONT_TEST_DATABASE").as_deref() {
        Ok("postgres") => Engine::Postgres,
        _ => Engine::Sqlite,
    }
}

/// A fresh, migrated-on-open database for one test; SQLite's lives in `data_dir`.
pub async fn fresh_database_url(data_dir: &Path) -> String {
    match engine() {
        Engine::Sqlite => format!("sqlite://{}", data_dir.join("shop.db").display()),
        Engine::Postgres => fresh_postgres_database().await,
    }
}

/// A new database on this binary's cluster, copied from the migrated template: its
/// URL (over the cluster's socket).
pub async fn fresh_postgres_database() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let cluster = cluster();
    template().await;
    let name = format!("shop_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    admin(&format!(
        "CREATE DATABASE {name} TEMPLATE storefront_template"
    ))
    .await;
    cluster.url(&name)
}

/// Runs one statement on the cluster's `postgres` database, on a connection of its
/// own (every test has its own runtime, so nothing pooled is shared between them).
async fn admin(statement: &str) {
    use sqlx::{Connection, Executor};
    let mut connection = sqlx::PgConnection::connect(&cluster().url("postgres"))
        .await
        .expect("connecting to the test cluster");
    connection
        .execute(statement)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
    connection.close().await.ok();
}

/// The template every test's database is copied from, migrated once per binary.
async fn template() {
    static TEMPLATE: OnceCell<()> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            admin("CREATE DATABASE storefront_template").await;
            // The shop's own migrations, exactly as a shop starting on it runs them.
            let store =
                storefront::server::store::Store::open(&cluster().url("storefront_template"))
                    .await
                    .expect("migrating the template database");
            // A template may have no connections when it is copied.
            store.close().await;
        })
        .await;
}

/// A PostgreSQL cluster in a temporary directory, stopped when the test binary exits.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
}

impl Cluster {
    /// A URL for database `name`, through the cluster's Unix socket.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@localhost/{name}?host={}",
            self.dir.display()
        )
    }
}

/// This binary's cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(start_cluster)
}

fn start_cluster() -> Cluster {
    let bin = PathBuf::from(std::env::var("PG_BIN").unwrap_or_else(|_| DEFAULT_PG_BIN.into()));
    assert!(
        bin.join("initdb").exists(),
        "PostgreSQL 15's server is not at {} (scripts/test installs postgresql-15)",
        bin.display()
    );
    // initdb refuses to run as root: as root, the cluster belongs to `postgres`, in a
    // directory that user owns.
    let dir = PathBuf::from(
        String::from_utf8(
            as_owner("mktemp")
                .args(["-d", "/tmp/storefront-pg-XXXXXX"])
                .output()
                .expect("mktemp")
                .stdout,
        )
        .expect("a path")
        .trim(),
    );
    let data = dir.join("data");
    run(as_owner(bin.join("initdb"))
        .args([
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--no-sync",
        ])
        .arg("-D")
        .arg(&data));
    // Only a socket in the directory (no TCP port to collide with), room for every
    // test's pools, and no fsync: the tests kill shops, never this server.
    let options = format!(
        "-c listen_addresses='' -k {} -c max_connections=400 -c fsync=off -c full_page_writes=off",
        dir.display()
    );
    run(as_owner(bin.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-o", &options, "-w", "start"]));
    // Statics are never dropped: stop the server when the process exits.
    extern "C" fn stop_at_exit() {
        if let Some(cluster) = CLUSTER_FOR_EXIT.get() {
            let _ = as_owner(cluster.bin.join("pg_ctl"))
                .arg("-D")
                .arg(cluster.dir.join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .output();
            let _ = std::fs::remove_dir_all(&cluster.dir);
        }
    }
    static CLUSTER_FOR_EXIT: OnceLock<Cluster> = OnceLock::new();
    let _ = CLUSTER_FOR_EXIT.set(Cluster {
        dir: dir.clone(),
        bin: bin.clone(),
    });
    // SAFETY: registers a plain function with no arguments, as atexit(3) expects.
    unsafe {
        libc::atexit(stop_at_exit);
    }
    Cluster { dir, bin }
}

/// `program`, run as the cluster's owner: `postgres` when we are root.
fn as_owner(program: impl AsRef<std::ffi::OsStr>) -> Command {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

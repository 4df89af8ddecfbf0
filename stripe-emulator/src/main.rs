//! `stripe-emulator`: run the offline Stripe on its own.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use stripe_emulator::{Emulator, Keys, Options, RetrySchedule};

const HELP: &str = "\
stripe-emulator: an offline Stripe for developing and testing a checkout

It serves Stripe's PaymentIntents, refunds and disputes API (/v1) with Stripe's
keys, form encoding, errors, idempotency keys, API versions, test cards (4242 4242
4242 4242 succeeds, 4000 0000 0000 9995 is declined, 4000 0027 6000 3184 asks for
3-D Secure, 4000 0000 0000 0259 is disputed) and state machines.
Point a Stripe SDK at the base URL it prints and use the keys it prints: the
publishable key, the secret key and the webhook secret, one per line.

USAGE:
    stripe-emulator [OPTIONS]

OPTIONS:
    --port <PORT>             Port to listen on [default: 12111; 0 picks a free one]
    --host <ADDRESS>          Address to listen on [default: 127.0.0.1]
    --state <DIR>             Keep everything (objects, keys, idempotency keys, clock)
                              in DIR, so a restart carries on where it stopped.
                              Without it, state lives in memory and keys are new
                              on every start.
    --secret-key <KEY>        Accept this sk_test_ key instead of a generated one
    --publishable-key <KEY>   Accept this pk_test_ key instead of a generated one
    --webhook-secret <SECRET> Sign webhooks with this whsec_ secret; give it again to
                              sign with several at once (one v1 each, as while
                              rolling a secret); the first is the one printed
                              (When any of these three is given, the others not
                              given are generated anew.)
    --webhook-url <URL>       Deliver every event to this URL, signed with the
                              webhook secret, as `stripe listen --forward-to` does;
                              repeat for several
    --webhook-retries <PLAN>  realistic: attempts at +0, +1 h, +3 h, +9 h on the
                              emulator clock; fast: +0, +1 s, +5 s, +30 s (for CI)
                              [default: realistic]
    --webhook-timeout-ms <MS> How long a receiver has to answer [default: 10000]
    --control-api             Serve the test-only control API under /_emulator
                              (reset, clock, seed, faults, forced outcomes,
                              refunds made in the Dashboard, refund settlement,
                              disputes, the request and delivery logs, a Payment
                              Element test page), to callers on this machine only
    --allow-origin <ORIGIN>   Let only this browser origin call the routes that take
                              a publishable key; repeat for several [default: any
                              origin, as Stripe allows]
    --also-listen <ADDRESS>   Also serve on this address and port, such as
                              127.0.0.1:12113 while --host is 127.0.0.2: the test
                              page at /_emulator/test-page then runs on another site
                              than Stripe.js, as a shop's page does with Stripe
    --allow-raw-card-data     Accept raw card numbers sent with the secret key (real
                              test mode refuses them without special access)
    --strict-cards            Decline any card number that is not one of Stripe's
                              documented test cards, so a real card cannot slip in
    --log-format <FORMAT>     text or json [default: text]; one line per request
                              (method, path, status, request id, idempotency key)
                              and one per webhook attempt
    -h, --help                Print this help
    -V, --version             Print the version

ENVIRONMENT:
    RUST_LOG                  Log filter [default: info]

EXAMPLE:
    stripe-emulator --port 12111 --state .emulator --control-api \\
                    --webhook-url http://127.0.0.1:3000/webhooks/stripe
    curl http://127.0.0.1:12111/v1/payment_intents -u \"$SK:\" \\
         -d amount=2000 -d currency=usd -d \"automatic_payment_methods[enabled]=true\"
";

struct Cli {
    host: IpAddr,
    port: u16,
    json_logs: bool,
    options: Options,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Cli>, String> {
    let mut cli = Cli {
        host: IpAddr::from([127, 0, 0, 1]),
        port: 12111,
        json_logs: false,
        options: Options::default(),
    };
    let (mut secret, mut publishable, mut webhook) = (None, None, Vec::new());
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!(
                    "stripe-emulator {} (Stripe API {})",
                    env!("CARGO_PKG_VERSION"),
                    stripe_emulator::API_VERSION
                );
                return Ok(None);
            }
            "--port" => {
                cli.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port must be a number from 0 to 65535".to_string())?
            }
            "--host" => {
                cli.host = value("--host")?
                    .parse()
                    .map_err(|_| "--host must be an IP address, such as 127.0.0.1".to_string())?
            }
            "--state" => cli.options.state_dir = Some(PathBuf::from(value("--state")?)),
            "--secret-key" => secret = Some(value("--secret-key")?),
            "--publishable-key" => publishable = Some(value("--publishable-key")?),
            "--webhook-secret" => webhook.push(value("--webhook-secret")?),
            "--webhook-url" => {
                let url = value("--webhook-url")?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err("--webhook-url must be an http:// or https:// URL".into());
                }
                cli.options.webhook_urls.push(url);
            }
            "--webhook-retries" => {
                cli.options.webhook_retries = match value("--webhook-retries")?.as_str() {
                    "realistic" => RetrySchedule::Realistic,
                    "fast" => RetrySchedule::Fast,
                    _ => return Err("--webhook-retries must be realistic or fast".into()),
                }
            }
            "--webhook-timeout-ms" => {
                let ms: u64 = value("--webhook-timeout-ms")?.parse().map_err(|_| {
                    "--webhook-timeout-ms must be a number of milliseconds".to_string()
                })?;
                cli.options.webhook_timeout =
                    Some(std::time::Duration::from_millis(ms.clamp(1, 120_000)));
            }
            "--control-api" => cli.options.control_api = true,
            "--allow-origin" => cli.options.allowed_origins.push(value("--allow-origin")?),
            "--allow-raw-card-data" => cli.options.allow_raw_card_data = true,
            "--also-listen" => {
                cli.options.also_listen = Some(value("--also-listen")?.parse().map_err(|_| {
                    "--also-listen must be an address and port, such as 127.0.0.1:12113".to_string()
                })?)
            }
            "--strict-cards" => cli.options.strict_cards = true,
            "--log-format" => {
                cli.json_logs = match value("--log-format")?.as_str() {
                    "json" => true,
                    "text" => false,
                    _ => return Err("--log-format must be text or json".into()),
                }
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if secret.is_some() || publishable.is_some() || !webhook.is_empty() {
        let generated = Keys::generate();
        let mut webhook = webhook.into_iter();
        let keys = Keys {
            publishable_key: publishable.unwrap_or(generated.publishable_key),
            secret_key: secret.unwrap_or(generated.secret_key),
            webhook_secret: webhook.next().unwrap_or(generated.webhook_secret),
        };
        cli.options.extra_webhook_secrets = webhook.collect();
        for extra in &cli.options.extra_webhook_secrets {
            if !extra.starts_with("whsec_") {
                return Err("every --webhook-secret must start with whsec_".into());
            }
        }
        keys.validate()?;
        cli.options.keys = Some(keys);
    }
    Ok(Some(cli))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match parse(std::env::args().skip(1)) {
        Ok(Some(cli)) => cli,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("stripe-emulator: {message}");
            return ExitCode::from(2);
        }
    };
    init_logging(cli.json_logs);
    if cli.options.control_api && !cli.host.is_loopback() {
        tracing::warn!(host = %cli.host, "the control API answers loopback callers only");
    }
    let emulator = match Emulator::open(cli.options) {
        Ok(e) => e,
        Err(error) => {
            eprintln!("stripe-emulator: could not open the emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let running = match emulator.serve(SocketAddr::new(cli.host, cli.port)).await {
        Ok(r) => r,
        Err(error) => {
            eprintln!(
                "stripe-emulator: could not listen on {}:{}: {error}",
                cli.host, cli.port
            );
            return ExitCode::FAILURE;
        }
    };
    // The keys on stdout, one per line, so scripts can read them.
    println!("{}", running.keys.publishable_key);
    println!("{}", running.keys.secret_key);
    println!("{}", running.keys.webhook_secret);
    tracing::info!(base_url = %running.base_url, api_version = stripe_emulator::API_VERSION, "stripe-emulator listening");
    shutdown_signal().await;
    tracing::info!("stopping");
    match running.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("stripe-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Cli>, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let cli = args(&[
            "--port",
            "0",
            "--state=/tmp/x",
            "--control-api",
            "--allow-origin",
            "http://127.0.0.1:3000",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(cli.port, 0);
        assert_eq!(cli.options.state_dir, Some(PathBuf::from("/tmp/x")));
        assert!(cli.options.control_api);
        assert_eq!(cli.options.allowed_origins, ["http://127.0.0.1:3000"]);
        assert!(args(&["--port", "http"]).is_err());
        assert!(args(&["--bogus"]).is_err());
        assert!(args(&["--port"]).is_err());
        let live = concat!("sk_", "live_", "abcdefghijkl");
        assert!(args(&["--secret-key", live]).is_err());
        let cli = args(&["--secret-key", "sk_test_abcdefghijkl"])
            .unwrap()
            .unwrap();
        assert_eq!(cli.options.keys.unwrap().secret_key, "sk_test_abcdefghijkl");
        let cli = args(&[
            "--webhook-url",
            "http://127.0.0.1:3000/webhooks/stripe",
            "--webhook-retries",
            "fast",
            "--webhook-secret",
            "whsec_aaaaaaaaaaaa",
            "--webhook-secret",
            "whsec_bbbbbbbbbbbb",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            cli.options.webhook_urls,
            ["http://127.0.0.1:3000/webhooks/stripe"]
        );
        assert_eq!(cli.options.webhook_retries, RetrySchedule::Fast);
        assert_eq!(
            cli.options.keys.unwrap().webhook_secret,
            "whsec_aaaaaaaaaaaa"
        );
        assert_eq!(cli.options.extra_webhook_secrets, ["whsec_bbbbbbbbbbbb"]);
        assert!(args(&["--webhook-url", "ftp://x"]).is_err());
    }
}

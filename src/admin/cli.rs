//! `storefront operator add NAME [--email ADDRESS]`: creates an operator (or, with
//! `--reset`, sets an existing one's password, ending their sessions). The password is
//! asked for on the terminal without echo, twice; when standard input is not a
//! terminal (a provisioning script) its first line is the password. It is never taken
//! from an argument or an environment variable, where it would end up in shell
//! histories, process lists and logs.

use super::passwords;
use crate::server::{config::Config, shopper::now, store::Store};
use anyhow::{bail, Context};
use std::io::{BufRead, IsTerminal};

/// Runs `operator …` with the arguments after it; `Ok(false)` when they are not an
/// operator command (the caller then serves the shop).
pub async fn run(args: &[String]) -> anyhow::Result<bool> {
    let [command, rest @ ..] = args else {
        return Ok(false);
    };
    if command != "operator" {
        return Ok(false);
    }
    let usage = "usage: storefront operator add NAME [--email ADDRESS] [--reset]";
    let [verb, name, options @ ..] = rest else {
        bail!("{usage}");
    };
    if verb != "add" {
        bail!("{usage}");
    }
    let name = name.trim();
    let valid_name = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
    if !valid_name {
        bail!("an operator's name is 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    let mut email = None;
    let mut reset = false;
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "--email" => {
                let address = options.next().context("--email needs an address")?;
                let plausible = address.len() <= 254
                    && address.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty()
                            && domain.contains('.')
                            && !address.contains(char::is_whitespace)
                    });
                if !plausible {
                    bail!("{address:?} is not an email address");
                }
                email = Some(address.clone());
            }
            "--reset" => reset = true,
            other => bail!("unknown option {other:?}; {usage}"),
        }
    }
    let password = read_password(name)?;
    if password.chars().any(char::is_control) {
        bail!("a password cannot hold control characters (the sign-in form refuses them)");
    }
    // Hashing takes a noticeable moment by design.
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .context("hashing the password")??;
    let config = Config::from_env()?;
    let store = Store::open(&config.database_url).await?;
    let added = store
        .add_operator(name, &hash, email.as_deref(), reset, now())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    store.close().await;
    if !added && !reset {
        bail!("an operator named {name:?} exists already; add --reset to set a new password");
    }
    println!(
        "Operator {name:?} {}. Sign in at /admin/login.",
        if reset { "saved" } else { "added" }
    );
    Ok(true)
}

/// The password: twice, without echo, on a terminal; else the first line of stdin.
fn read_password(name: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing was saved");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

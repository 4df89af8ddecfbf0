# Shared by the scripts in this folder: step timing and idempotent tool installs.
# Every install is skipped when the right version is already there.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"
# tools/node_modules/.bin first: its wasm-opt must win over an older one on the system.
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Playwright must never download browsers: we use Debian's Chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# step "what" "how long it usually takes" command...: runs a step and prints its time.
step() {
  local what="$1" usual="$2"
  shift 2
  printf '\n==> %s%s\n' "$what" "${usual:+ (usually $usual)}"
  local started=$SECONDS
  "$@"
  printf '<== %s: done in %ss\n' "$what" "$((SECONDS - started))"
}

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "Need root to install Debian packages: $*" >&2
    return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wasm_bindgen_version() {
  # The CLI must equal the wasm-bindgen crate in Cargo.lock exactly.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

install_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "wasm32-unknown-unknown target: present"
  else
    rustup target add wasm32-unknown-unknown
  fi
}

install_wasm_opt() {
  # binaryen from the npm registry, pinned in tools/package.json. Debian 12's
  # binaryen 108 rewrites the reference-types tables wasm-bindgen emits so that the
  # release site fails to hydrate ("WebAssembly.Table.set(): Argument 1 is invalid").
  npm_ci "$ROOT/tools"
  echo "wasm-opt: $(wasm-opt --version)"
}

# npm_ci DIR: installs DIR's locked node modules unless they are already current.
npm_ci() {
  local dir="$1" stamp="$1/node_modules/.installed-from-lock"
  require_node
  if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json"; then
    echo "node modules in ${dir#"$ROOT"/}: present"
  else
    (cd "$dir" && npm ci --no-audit --no-fund)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

# Playwright 1.65 needs Node.js 20 or newer (this machine image ships 20).
require_node() {
  if ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "Node.js $(node --version) is too old: Playwright needs 20 or newer." >&2
    exit 1
  fi
}

install_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
    echo "cargo-leptos $CARGO_LEPTOS_VERSION: present"
  else
    echo "Building cargo-leptos $CARGO_LEPTOS_VERSION (only the first time: about 13 minutes on 2 cores)"
    # Its own release profile is fat LTO in one codegen unit: most of the install was
    # one rustc optimising the whole tool at once. Overriding the profile for this one
    # install builds the same tool, the same features, from the same locked crates,
    # with cargo's default release settings; a build tool is not measurably slower.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
}

install_wasm_bindgen() {
  local wanted
  wanted="$(wasm_bindgen_version)"
  if wasm-bindgen --version 2>/dev/null | grep -q " $wanted\$"; then
    echo "wasm-bindgen CLI $wanted: present"
  else
    echo "Building wasm-bindgen-cli $wanted (only the first time: about 3 minutes)"
    # Not --locked: its lock file names a crate version the registry here lacks.
    cargo install wasm-bindgen-cli --version "$wanted" --force
  fi
}

install_node_modules() {
  npm_ci "$ROOT/end2end"
}

# Stripe's official Python SDK, pinned, in a virtual environment of its own under
# tools/python (gitignored): the emulator's SDK check drives it unchanged.
STRIPE_PYTHON_VERSION="16.1.0"
STRIPE_PYTHON="$ROOT/tools/python/bin/python"

install_stripe_python() {
  if [ -x "$STRIPE_PYTHON" ] &&
    "$STRIPE_PYTHON" -c 'import stripe, sys; sys.exit(stripe.VERSION != sys.argv[1])' "$STRIPE_PYTHON_VERSION" 2>/dev/null; then
    echo "stripe-python $STRIPE_PYTHON_VERSION: present"
  else
    # Debian's python3 makes venvs only with python3-venv installed.
    python3 -m venv "$ROOT/tools/python" 2>/dev/null || {
      rm -rf "$ROOT/tools/python"
      apt_install python3-venv
      python3 -m venv "$ROOT/tools/python"
    }
    "$ROOT/tools/python/bin/pip" install --quiet --disable-pip-version-check "stripe==$STRIPE_PYTHON_VERSION"
    echo "stripe-python $("$STRIPE_PYTHON" -c 'import stripe; print(stripe.VERSION)'): installed"
  fi
}

install_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "Chromium: using CHROMIUM_PATH=$CHROMIUM_PATH"
  elif [ -x /usr/bin/chromium ]; then
    echo "Chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))"
  else
    echo "Installing Debian's Chromium for the browser tests"
    apt_install chromium
  fi
}

# PostgreSQL 15's server, which the tests start clusters of (the shop itself needs it
# only when DATABASE_URL says postgres://).
install_postgres() {
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo "PostgreSQL 15 server: present"
  else
    echo "Installing Debian's PostgreSQL 15 server for the tests"
    apt_install postgresql-15
  fi
}

# start_postgres_cluster: a PostgreSQL 15 cluster of its own in a temporary directory
# (owned by `postgres` when we are root: initdb refuses root), listening only on a
# socket there, with a `shop` database; exports POSTGRES_URL. stop_postgres_cluster
# stops it and removes the directory.
start_postgres_cluster() {
  local bin=/usr/lib/postgresql/15/bin as_owner=()
  if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi
  POSTGRES_DIR="$("${as_owner[@]}" mktemp -d /tmp/storefront-pg-XXXXXX)"
  "${as_owner[@]}" "$bin/initdb" --auth=trust --username=postgres --encoding=UTF8 \
    -D "$POSTGRES_DIR/data" >/dev/null
  "${as_owner[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" \
    -o "-c listen_addresses='' -k $POSTGRES_DIR -c max_connections=200" -w start >/dev/null
  "${as_owner[@]}" "$bin/createdb" -h "$POSTGRES_DIR" -U postgres shop
  export POSTGRES_URL="postgres://postgres@localhost/shop?host=$POSTGRES_DIR"
}

stop_postgres_cluster() {
  [ -n "${POSTGRES_DIR:-}" ] || return 0
  local bin=/usr/lib/postgresql/15/bin as_owner=()
  if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi
  "${as_owner[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null || true
  rm -rf "$POSTGRES_DIR"
  POSTGRES_DIR=
}

# The tools both the dev loop and the tests need.
install_build_tools() {
  step "wasm target" "seconds" install_wasm_target
  step "wasm-opt (binaryen from npm)" "10 seconds when missing" install_wasm_opt
  step "cargo-leptos" "13 minutes when missing" install_cargo_leptos
  step "wasm-bindgen CLI" "3 minutes when missing" install_wasm_bindgen
}

# start_release_shop DIR SHOP_PORT EMULATOR_PORT: the release shop in external-emulator
# mode beside a standalone release emulator on 127.0.0.2 (another site, as Stripe is),
# with fixed test keys, both logging to DIR; waits until the shop answers. Exports
# SHOP_URL, EMULATOR_URL, STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY for the
# caller's other servers, and appends the process ids to the caller's `pids` array.
start_release_shop() {
  local dir="$1" shop_port="$2" emulator_port="$3"
  local target="${CARGO_TARGET_DIR:-$ROOT/target}" wh=whsec_benchmarks0000
  export STRIPE_SECRET_KEY=sk_test_benchmarks0000 STRIPE_PUBLISHABLE_KEY=pk_test_benchmarks0000
  export SHOP_URL="http://127.0.0.1:$shop_port" EMULATOR_URL="http://127.0.0.2:$emulator_port"
  "$target/release/stripe-emulator" --host 127.0.0.2 --port "$emulator_port" \
    --secret-key "$STRIPE_SECRET_KEY" --publishable-key "$STRIPE_PUBLISHABLE_KEY" --webhook-secret "$wh" \
    --webhook-url "$SHOP_URL/webhooks/stripe" >"$dir/emulator.log" 2>&1 &
  pids+=($!)
  STRIPE_WEBHOOK_SECRET="$wh" STRIPE_API_BASE="$EMULATOR_URL" \
    STRIPE_JS_URL="$EMULATOR_URL/js.stripe.com/v3/" \
    LISTEN_ADDR="127.0.0.1:$shop_port" DATA_DIR="$dir/shop" DATABASE_URL="sqlite://$dir/shop.db" \
    LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_OUTPUT_NAME=storefront LEPTOS_ENV=PROD RUST_LOG=warn \
    "$target/release/storefront" >"$dir/shop.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do
    curl -fs "$SHOP_URL/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$dir/shop.log" >&2
  return 1
}

# check_stripe_python: scripts/test's check that Stripe's official Python SDK, unchanged,
# drives a standalone release emulator (stripe-emulator/sdk/check.py). The emulator
# is started here on a free port, with its control API (the check reads its request
# log), and stopped when the check ends.
check_stripe_python() {
  local target="${CARGO_TARGET_DIR:-$ROOT/target}" key=sk_test_sdkcheck00000000 port log status=0
  local pids=()
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log="$(mktemp)"
  "$target/release/stripe-emulator" --port "$port" --control-api --secret-key "$key" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/_emulator/clock" >/dev/null 2>&1 && break
    sleep 0.1
  done
  STRIPE_EMULATOR_URL="http://127.0.0.1:$port" STRIPE_SECRET_KEY="$key" \
    "$STRIPE_PYTHON" "$ROOT/stripe-emulator/sdk/check.py" || status=$?
  stop_pids
  [ "$status" -eq 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

# stop_pids: ends what start_release_shop (and the caller) started.
stop_pids() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

#!/usr/bin/env bash
# Installs what the integration tests and `npm start` need beyond `npm ci`:
#   - Debian packages: chromium (headless browser), ripgrep, python3-debugpy (a real Python debug
#     adapter for the debugger tests), and the toolchain code-server's
#     native modules (argon2, node-pty, kerberos) build themselves with;
#   - code-server 4.99.4 (VS Code 1.99.3 on Node 20; newer releases need Node 22+) from the npm
#     registry, into a cache folder outside the repository so every clone reuses it.
# Idempotent: every step checks first and does nothing when its result is already there.
# Prints the code-server entry point path on its last line.
set -euo pipefail

CS_VERSION=4.99.4
CACHE="${MINT_TEST_CACHE:-$HOME/.cache/mint-vscode}"
CS_ROOT="$CACHE/code-server-$CS_VERSION"
ENTRY="$CS_ROOT/node_modules/code-server/out/node/entry.js"

log() { echo "[install-test-deps] $*" >&2; }

# --- Debian packages (only those missing; one `apt-get update` when anything is) -----------
APT_PKGS=(chromium ripgrep libkrb5-dev pkg-config build-essential python3-debugpy)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    log "missing ${missing[*]} and no apt-get here: install them with your package manager"; exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  log "Debian packages present"
fi

# --- code-server ---------------------------------------------------------------------------
# The marker is written last, so a half-finished earlier install is never taken for a good one.
if [ -f "$CS_ROOT/.installed" ] && node "$ENTRY" --version >/dev/null 2>&1; then
  log "code-server $CS_VERSION present in $CS_ROOT"
else
  log "installing code-server@$CS_VERSION into $CS_ROOT (takes a few minutes)"
  # @vscode/ripgrep's postinstall fetches rg from GitHub, which is unreachable here; it looks in
  # this cache first, so hand it Debian's rg packed under the name it expects.
  RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$RG_CACHE"
  for asset in ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz ripgrep-v13.0.0-10-aarch64-unknown-linux-musl.tar.gz; do
    [ -f "$RG_CACHE/$asset" ] || tar -C "$(dirname "$(command -v rg)")" -czf "$RG_CACHE/$asset" rg
  done
  rm -rf "$CS_ROOT"
  mkdir -p "$CS_ROOT"
  (
    cd "$CS_ROOT"
    printf '{"name":"code-server-cache","private":true}\n' > package.json
    # npm_config_yes: node-pty's postinstall runs `npx`, which would wait for a TTY answer.
    # --unsafe-perm: as root, npm would otherwise skip the postinstall scripts that build
    # the native modules (npm 11 calls the flag unknown but the scripts still read it).
    npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm "code-server@$CS_VERSION" >&2
  )
  node "$ENTRY" --version >/dev/null
  touch "$CS_ROOT/.installed"
fi
# Without a config file of its own code-server writes one into ~/.config/code-server.
touch "$CS_ROOT/config.yaml"
version=$(node "$ENTRY" --version | head -1)
log "code-server: $version"
echo "$ENTRY"

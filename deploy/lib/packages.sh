# shellcheck shell=bash
# Shared by tests/run and deploy/quickstart (sourced, not run): installs the Debian packages commissiond needs to
# build, test and run, and configures a meson build directory.

# Everything needed to build and run commissiond on Debian 12 (deploy/quickstart installs these). postgresql-15 is
# swapped for the distribution's default `postgresql` where that version is not packaged. python3: tests/lib/pg-cluster.
CD_PACKAGES=(meson ninja-build pkg-config gcc libmicrohttpd-dev libjansson-dev libsodium-dev libpq-dev libcurl4-gnutls-dev
             postgresql-15 python3 curl)
# What the tests need on top (tests/run adds these): PyYAML for the spec checker and the access matrix, git for the
# quickstart suite's clean clone, Node.js and npm for the spec linter (tests/spec/validate-openapi).
# shellcheck disable=SC2034 # used by tests/run
# clang and libclang-rt-dev (libFuzzer and the sanitizer runtimes, only recommended by clang) build the fuzz suite's
# targets; llvm gives llvm-symbolizer, for readable stack traces in sanitizer and fuzzer reports. chromium renders
# the minutes, a decision letter and an agenda pack headless (screenshot and A4 print) and runs the web front's
# browser tests (tests/web, driven by playwright-core from npm); fonts-dejavu-core gives it the font the pages ask
# for. build-essential, dpkg-dev, debhelper, fakeroot and lintian build and check the Debian package (tests/package).
# nginx, haproxy and pgbouncer: the reverse proxies and the pooler that tests/http/test_proxies.py and
# test_pgbouncer.py start (on loopback, with their own configuration) in front of the daemon and the database.
CD_TEST_PACKAGES=(python3-yaml git nodejs npm clang libclang-rt-dev llvm chromium fonts-dejavu-core build-essential
                  dpkg-dev debhelper fakeroot lintian nginx haproxy pgbouncer)

cd_log() { printf '%s\n' "$*" >&2; }

# cd_pkg_installed PKG: true when dpkg knows PKG as installed.
cd_pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# cd_pkg_provided PKG: true when an installed package provides PKG, as apt would count it (e.g. a nodejs from
# another repository that bundles npm, and conflicts with Debian's npm package).
cd_pkg_provided() {
  dpkg-query -W -f='${db:Status-Status}\t${Provides}\n' 2>/dev/null | awk -F '\t' -v want="$1" '
    $1 == "installed" { n = split($2, names, / *, */); for (i = 1; i <= n; i++) { sub(/ .*/, "", names[i]); if (names[i] == want) found = 1 } }
    END { exit !found }'
}

# cd_as_root CMD...: runs CMD as root (directly, or through sudo), or fails with a clear message.
cd_as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    cd_log "error: this needs root to run: $*"
    cd_log "       run it as root, or install sudo, or install the packages yourself"
    return 1
  fi
}

# cd_ensure_packages: installs whichever of CD_PACKAGES is missing (tests/run and bench/run add theirs to it). A machine that has everything never calls apt;
# otherwise `apt-get update` runs once, then one `apt-get install`.
cd_ensure_packages() {
  local pkgs=("${CD_PACKAGES[@]}") missing=() p
  if ! command -v dpkg-query >/dev/null 2>&1; then
    cd_log "note: not a Debian system (no dpkg-query): not checking packages; needed: ${pkgs[*]}"
    return 0
  fi
  for p in "${pkgs[@]}"; do
    if [[ $p == postgresql-15 ]] && ! cd_pkg_installed postgresql-15 && cd_pkg_installed postgresql; then
      continue  # the distribution's default PostgreSQL will do
    fi
    cd_pkg_installed "$p" || cd_pkg_provided "$p" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0

  cd_log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  cd_as_root apt-get update -q || { cd_log "error: apt-get update failed"; return 1; }
  local i
  for i in "${!missing[@]}"; do
    if [[ ${missing[$i]} == postgresql-15 ]] && ! apt-cache show postgresql-15 >/dev/null 2>&1; then
      missing[i]=postgresql
    fi
  done
  if ! cd_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    cd_log "error: could not install: ${missing[*]}"
    return 1
  fi
}

# cd_meson_setup BUILD_DIR [OPTION...]: configures BUILD_DIR with OPTIONs, reusing it when already configured
# (reconfiguring it, or wiping it when it can't be reconfigured, e.g. after a meson upgrade).
cd_meson_setup() {
  local dir=$1
  shift
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$dir" "$@" && return 0
    cd_log "meson setup --reconfigure failed: wiping $dir"
    meson setup --wipe "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

#!/usr/bin/env bash
# Install the Debian 12 packages needed to build HyperFleet, run its tests and
# the test services (scripts/with-test-services.sh). Idempotent: apt is only
# touched if something is missing. Starts no service.
#
# HF_DEPS=build installs only what compiling the binary needs (the Dockerfile's build stage):
# no test services, no Pub/Sub emulator, no kubectl. HF_DEPS=fuzz adds only the fuzzing
# toolchain to it (make fuzz).
set -euo pipefail

HF_DEPS=${HF_DEPS:-all}
PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  libboost-dev libpqxx-dev libpq-dev libsqlite3-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev librabbitmq-dev
  libssl-dev libcurl4-openssl-dev libre2-dev
  # IANA time zones for CEL's timestamp getters (getHours('Europe/Paris')) and their tests
  tzdata
  # GoogleTest: CMake configures the tests even when they are not built
  libgtest-dev libgmock-dev
)
case "$HF_DEPS" in
  build) ;;
  # make tidy: clang-tidy 14 and 16 cannot parse libstdc++ 12's <expected>. Not in `all`: CI
  # does not run it.
  tidy) PACKAGES+=(clang-tidy-19) ;;
  # make fuzz: libFuzzer and the sanitizers of clang 19 (clang 14 cannot compile libstdc++ 12's
  # <expected>).
  fuzz) PACKAGES+=(clang-19 libclang-rt-19-dev) ;;
  all)
    PACKAGES+=(
      # fuzz targets, a short run of which is part of make test (as for HF_DEPS=fuzz)
      clang-19 libclang-rt-19-dev
      # benchmarks
      libbenchmark-dev
      # test services and tools
      postgresql-15 postgresql-client-15 rabbitmq-server default-jre-headless
      wrk curl procps iproute2 python3
      # console browser tests (tests/browser): Debian's Chromium, driven by playwright-core from
      # npm (installed below into tests/browser/node_modules, pinned by its package-lock.json).
      # The machines' nodejs (20, npm included) is used; playwright-core needs node >= 20.
      chromium nodejs
    )
    ;;
  *)
    echo "install-deps: ERROR: HF_DEPS must be 'all' (default), 'build', 'tidy' or 'fuzz', not '$HF_DEPS'" >&2
    exit 2
    ;;
esac
PUBSUB_EMULATOR=/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
PUBSUB_PACKAGE=google-cloud-cli-pubsub-emulator

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
fi

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps: installing: ${missing[*]}"
  apt_install "${missing[@]}"
fi

# The Pub/Sub emulator and kubectl (which renders deploy/k8s in the tests) are not in Debian
# bookworm (its kubernetes-client is 1.20, too old for the kustomize we use); they come from
# Google's apt repository (packages google-cloud-cli-pubsub-emulator, kubectl) if that is
# configured. usage: google_package PATH_OF_THE_BINARY PACKAGE
google_package() {
  local binary=$1 package=$2 candidate
  if [ -x "$binary" ]; then
    echo "install-deps: $package present ($binary)"
    return
  fi
  candidate=$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    # the package lists may just be stale
    if [ "$APT_UPDATED" -eq 0 ]; then
      $SUDO apt-get update -qq
      APT_UPDATED=1
      candidate=$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    fi
  fi
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
    echo "install-deps: installing: $package ($candidate)"
    apt_install "$package"
  fi
  if [ ! -x "$binary" ]; then
    echo "install-deps: ERROR: $binary missing (package $package is not installable from the configured apt sources; add Google Cloud's apt repository)" >&2
    exit 1
  fi
}

if [ "$HF_DEPS" = all ]; then
  google_package "$PUBSUB_EMULATOR" "$PUBSUB_PACKAGE"
  google_package "$(command -v kubectl || echo /usr/bin/kubectl)" kubectl
fi

# --- console browser tests: playwright-core (npm), pinned by tests/browser/package-lock.json and
# installed into tests/browser/node_modules; it drives /usr/bin/chromium and downloads no browser.
if [ "$HF_DEPS" = all ]; then
  browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  wanted=$(node -p "require('$browser_dir/package.json').dependencies['playwright-core']")
  have=$(node -p "require('$browser_dir/node_modules/playwright-core/package.json').version" \
    2>/dev/null || true)
  if [ "$have" = "$wanted" ]; then
    echo "install-deps: playwright-core present ($browser_dir/node_modules)"
  else
    echo "install-deps: installing playwright-core into $browser_dir/node_modules"
    npm ci --prefix "$browser_dir" --no-audit --no-fund
  fi
fi

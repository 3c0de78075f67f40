# syntax=docker/dockerfile:1
# servicetoken-operator image. The build steps call the same hack/ scripts
# and make targets that CI runs on every change (no container engine runs on
# the project's machines, so CI proves the scripts, not this file).

FROM debian:bookworm AS build
WORKDIR /src
COPY hack/install-deps.sh hack/install-deps.sh
RUN apt-get update && hack/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build --target servicetoken-operator kubectl-servicetoken \
 && strip build/bin/servicetoken-operator build/bin/kubectl-servicetoken

FROM debian:bookworm-slim
COPY hack/install-deps.sh /tmp/install-deps.sh
RUN apt-get update && /tmp/install-deps.sh runtime \
 && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
COPY --from=build /src/build/bin/servicetoken-operator /usr/local/bin/servicetoken-operator
COPY --from=build /src/build/bin/kubectl-servicetoken /usr/local/bin/kubectl-servicetoken
# The chart runs it with a read-only root filesystem as this user.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/servicetoken-operator"]

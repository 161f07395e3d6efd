#!/usr/bin/env bash
# The trait-pruning check: a package that depends on swift-faye without enabling the Vapor,
# Hummingbird or PostgresFanOut trait must not resolve (so never fetch) Vapor, Hummingbird,
# postgres-nio or what only they need.
#
# Makes two throwaway consumer packages next to each other in a temporary directory, both
# depending on this checkout by path:
#   plain   uses FayeWebSocket, WebSocketDriver and FayeEventSource with the default traits;
#           its resolved dependency graph must contain none of the host-only packages;
#   hosts   enables the three traits; its graph must contain them (so the check can fail).
# Exits non-zero, printing the graph, when either expectation does not hold.
#
# usage: scripts/trait-pruning.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=${TRAIT_PRUNING_WORK:-$(mktemp -d)}
[ -n "${TRAIT_PRUNING_WORK:-}" ] || trap 'rm -rf "$work"' EXIT

# Packages that only the host traits (and PostgresFanOut, for faye-fanout-demo) may bring in.
host_only=(vapor hummingbird swift-nio-ssl swift-nio-extras swift-http-types async-http-client postgres-nio)

consumer() {
    local name=$1 traits=$2
    mkdir -p "$work/$name/Sources/$name"
    cat >"$work/$name/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "$name",
    dependencies: [.package(path: "$root"$traits)],
    targets: [
        .target(
            name: "$name",
            dependencies: [
                .product(name: "FayeWebSocket", package: "$(basename "$root")"),
                .product(name: "FayeEventSource", package: "$(basename "$root")"),
                .product(name: "WebSocketDriver", package: "$(basename "$root")"),
            ]
        )
    ]
)
SWIFT
    echo "import FayeWebSocket" >"$work/$name/Sources/$name/$name.swift"
    (cd "$work/$name" && swift package resolve >resolve.log 2>&1 && swift package show-dependencies >graph.txt 2>&1) || {
        cat "$work/$name/resolve.log" "$work/$name/graph.txt" 2>/dev/null >&2
        echo "trait-pruning: the $name consumer did not resolve" >&2
        exit 1
    }
}

consumer plain ""
consumer hosts ', traits: ["Vapor", "Hummingbird", "PostgresFanOut"]'

status=0
for package in "${host_only[@]}"; do
    if grep -qi "/$package\b\|<$package@\|^[ │├└─]*$package<" "$work/plain/graph.txt"; then
        echo "trait-pruning: $package is resolved for a consumer without the host traits" >&2
        status=1
    fi
done
for package in vapor hummingbird postgres-nio; do
    if ! grep -qi "$package" "$work/hosts/graph.txt"; then
        echo "trait-pruning: $package is missing for a consumer with the traits" >&2
        status=1
    fi
done
if [ "$status" -ne 0 ]; then
    echo "-- without traits:"; cat "$work/plain/graph.txt"
    echo "-- with Vapor, Hummingbird and PostgresFanOut:"; cat "$work/hosts/graph.txt"
    exit 1
fi
plain_count=$(grep -c "<" "$work/plain/graph.txt" || true)
hosts_count=$(grep -c "<" "$work/hosts/graph.txt" || true)
echo "trait-pruning: without the traits $plain_count packages resolve, none of ${host_only[*]};" \
    "with them $hosts_count"

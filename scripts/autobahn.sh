#!/usr/bin/env bash
# The Autobahn|Testsuite against our executables, in both roles, over ws: and wss:
#   server-ws   faye-server under the suite's fuzzing client;
#   server-wss  the same with --tls-cert/--tls-key (the suite does not verify certificates);
#   client-ws   faye-autobahn-client against the suite's fuzzing server;
#   client-wss  the same over TLS, faye-autobahn-client verifying the server with --ca-file;
#   vapor-ws, vapor-wss, hummingbird-ws, hummingbird-wss
#               faye-vapor-demo and faye-hummingbird-demo (faye-server's command line, served
#               from inside Vapor and Hummingbird) under the fuzzing client, as server-ws/-wss.
# For wss: a throwaway CA and a certificate for 127.0.0.1 are made with the openssl CLI for each
# invocation. The suite comes from the project's virtual environment (scripts/venv.sh sets it
# up when it is missing or out of date; scripts/autobahn/ has the port to Python 3). Release
# builds of the servers and faye-autobahn-client (all traits on) are built if needed. Fails when a run does
# not complete or any case is FAILED; reports (with the suite's HTML) go to .build/autobahn/.
#
# usage: scripts/autobahn.sh [--full] [--write-doc] [--jobs N] [--only RUN[,RUN...]]
#   --full       all 517 cases; without it the permessage-deflate cases 12.* and 13.* are
#                sampled (12.1, 12.4, 13.1, 13.3, 13.5, 13.7) as in CI.
#   --write-doc  regenerate Docs/Conformance.md from all the runs.
#   --jobs N     runs at a time (default 2: on 2 cores two runs side by side take about as
#                long as one).
#   --only       some of the runs above (default: all eight).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

full=false
write_doc=false
jobs=2
all_runs=(server-ws server-wss client-ws client-wss vapor-ws vapor-wss hummingbird-ws hummingbird-wss)
runs=("${all_runs[@]}")
usage() { sed -n '16,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --full) full=true; shift ;;
        --write-doc) write_doc=true; shift ;;
        --jobs) jobs="${2:-}"; shift 2 || usage ;;
        --only) IFS=, read -r -a runs <<<"${2:-}"; shift 2 || usage ;;
        -h|--help) usage ;;
        *) echo "autobahn: unknown argument $1" >&2; usage ;;
    esac
done
case "$jobs" in ''|*[!0-9]*|0) echo "autobahn: --jobs needs a positive number" >&2; exit 2 ;; esac
for run in "${runs[@]}"; do
    case "$run" in server-ws|server-wss|client-ws|client-wss|vapor-ws|vapor-wss|hummingbird-ws|hummingbird-wss) ;;
        *) echo "autobahn: unknown run '$run'" >&2; exit 2 ;; esac
done
if $write_doc && [ ${#runs[@]} -ne ${#all_runs[@]} ]; then
    echo "autobahn: --write-doc needs all the runs" >&2; exit 2
fi
command -v openssl >/dev/null || { echo "autobahn: the openssl CLI is missing (scripts/setup.sh installs it)" >&2; exit 1; }

if $full; then
    cases="*"
else
    cases="1.*,2.*,3.*,4.*,5.*,6.*,7.*,8.*,9.*,10.*,12.1.*,12.4.*,13.1.*,13.3.*,13.5.*,13.7.*"
fi

python=$(scripts/venv.sh --python)
for product in faye-server faye-autobahn-client faye-vapor-demo faye-hummingbird-demo; do
    swift build -c release --enable-all-traits --product "$product" >/dev/null
done
bin="$(swift build -c release --enable-all-traits --show-bin-path)"
reports="$root/.build/autobahn"
rm -rf "$reports"
mkdir -p "$reports"

# A CA and a server certificate for 127.0.0.1, valid for two days, never reused.
pki="$reports/pki"
mkdir -p "$pki"
(
    cd "$pki"
    ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=swift-faye Autobahn test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out server.pem
) >"$pki/openssl.log" 2>&1 || { cat "$pki/openssl.log" >&2; echo "autobahn: making the test certificates failed" >&2; exit 1; }

# Waits (up to 30 s) for a line matching the sed expression to appear in a file; prints the
# captured group.
await_line() {
    local file=$1 expression=$2 pid=$3 value=""
    for _ in $(seq 1 300); do
        value=$(sed -n "$expression" "$file" 2>/dev/null | head -1)
        [ -n "$value" ] && { echo "$value"; return 0; }
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# One run, in its own directory; output in $reports/RUN.log; exit status 0 when it completed.
server_run() {
    local name=$1 tls=() scheme=ws executable
    case "$name" in
        server-*) executable=faye-server ;;
        vapor-*) executable=faye-vapor-demo ;;
        hummingbird-*) executable=faye-hummingbird-demo ;;
    esac
    if [[ "$name" == *-wss ]]; then tls=(--tls-cert "$pki/server.pem" --tls-key "$pki/server.key"); scheme=wss; fi
    "$bin/$executable" --port 0 "${tls[@]}" 2>"$reports/$name.faye-server.log" &
    local server=$!
    local port
    port=$(await_line "$reports/$name.faye-server.log" \
        "s|^faye-server listening on $scheme://127\.0\.0\.1:\([0-9]*\)$|\1|p" "$server") || {
        echo "$executable did not start"; cat "$reports/$name.faye-server.log"; stop "$server"; return 1; }
    local status=0
    "$python" scripts/autobahn/run.py client "$scheme://127.0.0.1:$port" "$reports/$name" "$cases" \
        --agent "$executable" || status=$?
    stop "$server"
    return "$status"
}

client_run() {
    local name=$1 tls=() client_tls=()
    if [ "$name" = client-wss ]; then
        tls=(--key "$pki/server.key" --cert "$pki/server.pem"); client_tls=(--ca-file "$pki/ca.pem")
    fi
    "$python" scripts/autobahn/run.py server "$reports/$name" "$cases" "${tls[@]}" \
        >"$reports/$name.fuzzingserver.log" 2>&1 &
    local suite=$!
    local url
    url=$(await_line "$reports/$name.fuzzingserver.log" 's|^fuzzingserver ready on \(.*\)$|\1|p' "$suite") || {
        echo "the fuzzing server did not start"; cat "$reports/$name.fuzzingserver.log"; stop "$suite"; return 1; }
    local status=0
    "$bin/faye-autobahn-client" --url "$url" --agent faye-autobahn-client "${client_tls[@]}" || status=$?
    stop "$suite"
    if ! grep -q "^fuzzingserver ready" "$reports/$name.fuzzingserver.log" ||
        grep -q "^run.py: the suite raised" "$reports/$name.fuzzingserver.log"; then
        cat "$reports/$name.fuzzingserver.log"; status=1
    fi
    return "$status"
}

one_run() {
    local name=$1 started status=0
    started=$(date +%s)
    case "$name" in
        server-*|vapor-*|hummingbird-*) server_run "$name" >"$reports/$name.log" 2>&1 || status=$? ;;
        client-*) client_run "$name" >"$reports/$name.log" 2>&1 || status=$? ;;
    esac
    echo "$(( $(date +%s) - started ))" >"$reports/$name.seconds"
    return "$status"
}

echo "autobahn: ${runs[*]} (cases ${cases}), $jobs at a time; logs in $reports"
declare -A pids=()
failed=()
reap() {
    local done_pid name
    for name in "${!pids[@]}"; do
        done_pid=${pids[$name]}
        if ! kill -0 "$done_pid" 2>/dev/null; then
            if ! wait "$done_pid"; then
                failed+=("$name")
                echo "autobahn: $name did not complete ($reports/$name.log):" >&2
                tail -n 15 "$reports/$name.log" >&2
            fi
            unset "pids[$name]"
        fi
    done
}
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
for run in "${runs[@]}"; do
    while [ ${#pids[@]} -ge "$jobs" ]; do reap; [ ${#pids[@]} -ge "$jobs" ] && sleep 1; done
    one_run "$run" &
    pids[$run]=$!
done
while [ ${#pids[@]} -gt 0 ]; do reap; [ ${#pids[@]} -gt 0 ] && sleep 1; done
trap - EXIT

declare -A titles=(
    [server-ws]="faye-server over ws: (the suite as client)"
    [server-wss]="faye-server over wss: (the suite as client)"
    [client-ws]="faye-autobahn-client over ws: (the suite as server)"
    [client-wss]="faye-autobahn-client over wss:, certificate verified (the suite as server)"
    [vapor-ws]="faye-vapor-demo (inside Vapor) over ws: (the suite as client)"
    [vapor-wss]="faye-vapor-demo (inside Vapor, Vapor's TLS) over wss: (the suite as client)"
    [hummingbird-ws]="faye-hummingbird-demo (inside Hummingbird) over ws: (the suite as client)"
    [hummingbird-wss]="faye-hummingbird-demo (inside Hummingbird, our TLS) over wss: (the suite as client)"
)
declare -A summaries=()
status=0
[ ${#failed[@]} -eq 0 ] || status=1
for run in "${runs[@]}"; do
    if [[ " ${failed[*]} " == *" $run "* ]] && [ ! -f "$reports/$run/index.json" ]; then continue; fi
    summaries[$run]=$("$python" scripts/autobahn/report.py "$reports/$run" --strict \
        --title "$run ($(cat "$reports/$run.seconds") s)") || status=1
    echo "${summaries[$run]}"
done

if $write_doc && [ "$status" -eq 0 ]; then
    {
        echo "# Conformance"
        echo
        echo "The [Autobahn|Testsuite](https://github.com/crossbario/autobahn-testsuite) (PyPI"
        echo "\`autobahntestsuite\` 25.10.1 on Python 3, set up by \`scripts/venv.sh\`) against our"
        echo "executables in both roles, over \`ws:\` and \`wss:\` (a CA and a certificate for 127.0.0.1"
        echo "made for the run; \`faye-autobahn-client\` verifies it with \`--ca-file\`)."
        echo
        echo "Generated by \`scripts/autobahn.sh$($full && echo " --full") --write-doc\` on $(date -u +%Y-%m-%d),"
        echo "$(uname -m), $(swift --version 2>/dev/null | head -1 | sed 's/ *(.*//'), $jobs runs at a time"
        echo "(the seconds after each run's name are its wall time, which depends on what else the machine"
        echo "runs). Cases: \`$cases\`. Do not edit by hand."
        echo
        echo "Verdicts are the suite's: 7.1.6, 7.13.1 and 7.13.2 are informational by design."
        for run in "${runs[@]}"; do
            echo
            echo "## ${titles[$run]}"
            echo
            echo '```'
            echo "${summaries[$run]}"
            echo '```'
        done
    } >Docs/Conformance.md
    echo "autobahn: wrote Docs/Conformance.md"
fi
if [ "$status" -ne 0 ]; then
    echo "autobahn: FAILED (reports in $reports)" >&2
fi
exit "$status"

#!/usr/bin/env bash
# Runs both planes in the foreground on the embedded default (SQLite + in-process cache) until
# Ctrl-C; `make run` calls it after building. Every setting comes from the environment (see the
# README's configuration table); the defaults below are the operator contract's.
set -euo pipefail

BIN_DIR="${BIN_DIR:-target/debug}"
export CONTROL_PLANE_LISTEN="${CONTROL_PLANE_LISTEN:-127.0.0.1:50051}"
export DATA_PLANE_LISTEN="${DATA_PLANE_LISTEN:-127.0.0.1:50052}"
export DATA_PLANE_HTTP_LISTEN="${DATA_PLANE_HTTP_LISTEN:-127.0.0.1:8080}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://${DATA_PLANE_HTTP_LISTEN}}"
DATA_DIR="${IDENTITY_DATA_DIR:-./data}"

# The control plane is the only one that migrates; the data plane refuses an old schema.
"$BIN_DIR/identity-control-plane" migrate

pids=()
stop() {
    trap - INT TERM EXIT
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

"$BIN_DIR/identity-control-plane" serve & pids+=($!)
"$BIN_DIR/identity-data-plane" & pids+=($!)

# Wait (bounded) until both gRPC ports accept connections, then say where things are.
for addr in "$CONTROL_PLANE_LISTEN" "$DATA_PLANE_LISTEN"; do
    for _ in $(seq 1 300); do
        (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null && break
        kill -0 "${pids[@]}" 2>/dev/null || { echo "a plane failed to start (see above)" >&2; exit 1; }
        sleep 0.1
    done
done

cat <<BANNER

  agentcore-identity is running (embedded mode: SQLite at ${DATABASE_URL:-sqlite://./data/identity.db}, in-process cache)

    control plane (admin gRPC)        ${CONTROL_PLANE_LISTEN}
    data plane (vending gRPC)         ${DATA_PLANE_LISTEN}
    data plane (OAuth, health; HTTP)  ${DATA_PLANE_HTTP_LISTEN}   public as ${PUBLIC_BASE_URL}

  Admin token for the default account:
    export AGENTCORE_IDENTITY_TOKEN="\$(cat ${DATA_DIR}/admin-token)"
  (or whatever IDENTITY_BOOTSTRAP_ADMIN_TOKEN you set). Ctrl-C stops both planes.

BANNER

# If either plane exits, stop the other and pass its status on.
status=0
wait -n "${pids[@]}" || status=$?
exit "$status"

#!/usr/bin/env bash
# A throwaway three-node RabbitMQ cluster on this machine, for the quorum-queue fault run
# (tests/reliability/test_fault_21_broker_node.py, deploy/README.md).
#
#   deploy/rabbitmq-cluster.sh start    # nodes ocop1..3@localhost on 5681-5683, clustered
#   deploy/rabbitmq-cluster.sh status   # each node's state, and the broker URLs to use
#   deploy/rabbitmq-cluster.sh stop     # stops the three nodes and removes their data
#   deploy/rabbitmq-cluster.sh stop-node N / start-node N   # one node (what the test does)
#
# The system RabbitMQ (rabbit@localhost, 5672) is left alone: each node has its own config file
# (the system one listens on 5672), its own env file (the system one names the node), its own
# data and log directories, its own distribution port and its own Erlang cookie (in a HOME of
# its own; rabbitmqctl reads the cookie there too). No plugins: management is not needed.
set -euo pipefail

BASE="${OCOP_RABBIT_CLUSTER_DIR:-${TMPDIR:-/tmp}/ocop-rabbit-cluster}"
BIN="${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}"
NODES=(1 2 3)
AMQP_PORT=(0 5681 5682 5683)
DIST_PORT=(0 25681 25682 25683)

node() { echo "ocop$1@localhost"; }

# Everything a rabbitmq-server or rabbitmqctl of node $1 needs, exported in a subshell.
with_node() {
    local n=$1
    shift
    (
        export HOME="$BASE/home"
        export RABBITMQ_NODENAME
        RABBITMQ_NODENAME="$(node "$n")"
        export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        export RABBITMQ_NODE_PORT="${AMQP_PORT[$n]}"
        export RABBITMQ_DIST_PORT="${DIST_PORT[$n]}"
        export RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf"
        export RABBITMQ_CONFIG_FILE="$BASE/node$n.conf"
        export RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins"
        export RABBITMQ_MNESIA_BASE="$BASE/node$n/mnesia"
        export RABBITMQ_LOG_BASE="$BASE/node$n/log"
        export RABBITMQ_PID_FILE="$BASE/node$n/rabbit.pid"
        export ERL_EPMD_ADDRESS=127.0.0.1
        "$@"
    )
}

ctl() { with_node "$1" "$BIN/rabbitmqctl" -n "$(node "$1")" "${@:2}"; }

prepare() {
    mkdir -p "$BASE/home"
    if [[ ! -f "$BASE/home/.erlang.cookie" ]]; then
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BASE/home/.erlang.cookie"
        chmod 400 "$BASE/home/.erlang.cookie"
    fi
    : >"$BASE/rabbitmq-env.conf"
    echo "[]." >"$BASE/enabled_plugins"
    for n in "${NODES[@]}"; do
        mkdir -p "$BASE/node$n/mnesia" "$BASE/node$n/log"
        cat >"$BASE/node$n.conf" <<EOF
listeners.tcp.default = 127.0.0.1:${AMQP_PORT[$n]}
loopback_users = none
cluster_partition_handling = pause_minority
EOF
    done
}

start_node() {
    local n=$1
    if ctl "$n" status >/dev/null 2>&1; then
        return 0
    fi
    with_node "$n" nohup "$BIN/rabbitmq-server" >"$BASE/node$n/stdout.log" 2>&1 &
    # `wait` waits for the pid file, then for the node to boot (await_startup needs it up).
    ctl "$n" wait --timeout 120 "$BASE/node$n/rabbit.pid" >/dev/null
}

stop_node() {
    ctl "$1" stop >/dev/null 2>&1 || true
}

start() {
    prepare
    for n in "${NODES[@]}"; do
        start_node "$n"
    done
    for n in 2 3; do
        if ! ctl "$n" cluster_status 2>/dev/null | grep -q "$(node 1)"; then
            ctl "$n" stop_app >/dev/null
            ctl "$n" join_cluster "$(node 1)" >/dev/null
            ctl "$n" start_app >/dev/null
        fi
    done
    ctl 1 await_online_nodes 3 --timeout 120 >/dev/null 2>&1 || true
    status
}

status() {
    for n in "${NODES[@]}"; do
        if ctl "$n" status >/dev/null 2>&1; then
            echo "$(node "$n") running on 127.0.0.1:${AMQP_PORT[$n]}"
        else
            echo "$(node "$n") stopped"
        fi
    done
    local urls=()
    for n in "${NODES[@]}"; do
        urls+=("amqp://guest:guest@127.0.0.1:${AMQP_PORT[$n]}//")
    done
    (
        IFS=,
        echo "OCOP_TEST_RABBIT_CLUSTER=${urls[*]}"
    )
}

stop() {
    for n in "${NODES[@]}"; do
        stop_node "$n"
    done
    rm -rf "$BASE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
start-node) start_node "$2" ;;
stop-node) stop_node "$2" ;;
ctl) ctl "$2" "${@:3}" ;;
*)
    echo "usage: $0 start|stop|status|start-node N|stop-node N|ctl N <rabbitmqctl args>" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Entrypoint of the OCOP image: wait for the dependencies, migrate when asked, then exec `ocop`
# with the container's arguments (so the server is PID 1 and gets SIGTERM directly).
#
#   web SERVICE [--host H]   waits for SERVICE's database and the broker; with OCOP_MIGRATE=1
#                            runs `ocop migrate SERVICE` first (one replica only: compose),
#                            otherwise also waits until the database is at the schema head
#   web portal [--host H]    runs `ocop` at once: the portal has no database or queue (its
#                            /readyz tells when the registration API answers)
#   worker|relay SERVICE     waits for the database (at the schema head) and the broker
#   migrate [SERVICE...]     waits for the database(s), then migrates (Kubernetes Job)
#   anything else            runs `ocop` at once (sink, seed, mail, --help)
#
# OCOP_WAIT_TIMEOUT (seconds, default 120) bounds the wait; past it the container exits
# non-zero and the orchestrator restarts it.
set -euo pipefail

here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
role="${1:-}"

wait_for() {
  python "$here/wait_for_deps.py" "$@"
}

case "$role" in
  web | worker | relay)
    service="${2:?usage: boot.sh $role SERVICE [OPTIONS]}"
    if [[ "$role" == web && "$service" == portal ]]; then
      : # the portal: no database or queue to wait for
    elif [[ "$role" == web && "${OCOP_MIGRATE:-0}" == 1 ]]; then
      wait_for "$service"
      ocop migrate "$service"
    else
      wait_for --schema "$service"
    fi
    if [[ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]]; then
      # gunicorn's workers share metrics through this directory; files left by an earlier run
      # of this container would be counted again.
      mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
      find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
    fi
    ;;
  migrate)
    wait_for --no-broker "${@:2}"
    ;;
esac

exec ocop "$@"

# A Docker registry for the tests, on a free loopback port.
# Sourced by tests/lib/services.sh:
#   start_registry <dir>  runs `docker-registry serve` with filesystem storage
#                         in <dir>; once /v2/ answers, exports
#                         FGRUN_TEST_REGISTRY=127.0.0.1:<port>
#   stop_registry [<dir>] stops it (given <dir>, also from another shell,
#                         through <dir>/registry.pid).

REGISTRY_DIR=
REGISTRY_PID=

_registry_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_registry() {
	local dir=${1:?start_registry: directory missing} port attempt i
	if ! command -v docker-registry >/dev/null 2>&1; then
		if [ "$(id -u)" != 0 ]; then
			echo "registry.sh: docker-registry missing and not root to install" >&2
			return 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null 2>&1; } ||
			{ echo "registry.sh: apt-get install docker-registry failed" >&2; return 1; }
	fi
	mkdir -p "$dir/data" && dir=$(cd "$dir" && pwd) || return 1
	REGISTRY_DIR=$dir
	# The port may be taken between choosing and binding: try a few.
	for attempt in 1 2 3; do
		port=$(_registry_free_port) || return 1
		cat >"$dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CONF
		docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
		REGISTRY_PID=$!
		echo "$REGISTRY_PID" >"$dir/registry.pid"
		for i in $(seq 1 200); do # 20 s
			if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 200 ]; then
				export FGRUN_TEST_REGISTRY="127.0.0.1:$port"
				return 0
			fi
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_registry_process
	done
	echo "registry.sh: docker-registry did not start; log:" >&2
	tail -n 20 "$dir/registry.log" >&2
	REGISTRY_DIR=
	return 1
}

stop_registry_process() {
	local i
	[ -n "$REGISTRY_PID" ] || return 0
	kill -TERM "$REGISTRY_PID" 2>/dev/null
	for i in $(seq 1 50); do # 5 s
		kill -0 "$REGISTRY_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$REGISTRY_PID" 2>/dev/null
	wait "$REGISTRY_PID" 2>/dev/null
	[ -n "$REGISTRY_DIR" ] && rm -f "$REGISTRY_DIR/registry.pid"
	REGISTRY_PID=
}

stop_registry() {
	if [ -n "${1:-}" ]; then
		REGISTRY_DIR=$(cd "$1" 2>/dev/null && pwd) || return 0
		REGISTRY_PID=$(cat "$REGISTRY_DIR/registry.pid" 2>/dev/null)
	fi
	stop_registry_process
	unset FGRUN_TEST_REGISTRY
	REGISTRY_DIR=
	return 0
}

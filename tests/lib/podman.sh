# Podman as the Docker Engine for the tests, on a private Unix socket.
# Sourced by tests/lib/services.sh:
#   start_podman <dir>  starts `podman system service` with its own storage,
#                       configuration and socket under <dir>; once the socket
#                       answers /_ping, exports
#                       FGRUN_TEST_DOCKER_HOST=unix://<dir>/podman.sock
#   stop_podman [<dir>] removes the containers it ran, stops the service,
#                       unmounts its storage (given <dir>, also from
#                       another shell, through <dir>/podman.pid).
# The service ends by itself after PODMAN_IDLE_TIMEOUT seconds without a
# request (default 1800), so one whose caller never stops it goes away.
# Settings these machines need (no systemd, cgroup v1, no crun): runc as the
# runtime, cgroupfs as the cgroup manager, events to a file, explicit ulimits
# (the inherited nofile limit is refused by runc otherwise); registries on
# loopback are plain HTTP, so 127.0.0.1 and localhost are marked insecure
# (the entry has no port: it matches every port on that host).

PODMAN_DIR=
PODMAN_PID=

# Runs podman's command line against the private service's storage.
_podman_cli() {
	CONTAINERS_CONF="$PODMAN_DIR/containers.conf" \
	CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf" \
	CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf" \
		podman "$@"
}

# Installs the Debian packages the Engine stand-in needs when missing.
_podman_install() {
	local missing=
	command -v podman >/dev/null 2>&1 || missing="$missing podman"
	command -v runc >/dev/null 2>&1 || missing="$missing runc"
	[ -x /bin/busybox ] || missing="$missing busybox-static"
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "podman.sh: missing$missing and not root to install" >&2
		return 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1; } ||
		{ echo "podman.sh: apt-get install$missing failed" >&2; return 1; }
}

_podman_write_config() {
	local dir=$1
	mkdir -p "$dir/storage" "$dir/run" "$dir/tmp" "$dir/volumes" || return 1
	cat >"$dir/containers.conf" <<CONF || return 1
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
volume_path = "$dir/volumes"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
CONF
	cat >"$dir/storage.conf" <<CONF || return 1
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$dir/run"
CONF
	cat >"$dir/registries.conf" <<'CONF'
unqualified-search-registries = []
[[registry]]
location = "127.0.0.1"
insecure = true
[[registry]]
location = "localhost"
insecure = true
CONF
}

start_podman() {
	local dir=${1:?start_podman: directory missing} i
	_podman_install || return 1
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	PODMAN_DIR=$dir
	_podman_write_config "$dir" || return 1
	rm -f "$dir/podman.sock"
	CONTAINERS_CONF="$dir/containers.conf" \
	CONTAINERS_STORAGE_CONF="$dir/storage.conf" \
	CONTAINERS_REGISTRIES_CONF="$dir/registries.conf" \
		podman system service --time="${PODMAN_IDLE_TIMEOUT:-1800}" "unix://$dir/podman.sock" \
		>"$dir/podman.log" 2>&1 </dev/null &
	PODMAN_PID=$!
	echo "$PODMAN_PID" >"$dir/podman.pid"
	for i in $(seq 1 300); do # 30 s
		if [ -S "$dir/podman.sock" ] &&
		   [ "$(curl -s -m 2 --unix-socket "$dir/podman.sock" http://d/_ping 2>/dev/null)" = OK ]; then
			export FGRUN_TEST_DOCKER_HOST="unix://$dir/podman.sock"
			return 0
		fi
		if ! kill -0 "$PODMAN_PID" 2>/dev/null; then
			echo "podman.sh: podman system service exited; log:" >&2
			tail -n 20 "$dir/podman.log" >&2
			PODMAN_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "podman.sh: no answer on $dir/podman.sock after 30 s" >&2
	stop_podman
	return 1
}

stop_podman() {
	local i
	if [ -n "${1:-}" ]; then
		PODMAN_DIR=$(cd "$1" 2>/dev/null && pwd) || return 0
		PODMAN_PID=$(cat "$PODMAN_DIR/podman.pid" 2>/dev/null)
	fi
	[ -n "$PODMAN_DIR" ] || return 0
	if [ -n "$PODMAN_PID" ]; then
		# Containers outlive the service (conmon holds them): remove them first.
		timeout 60 bash -c "$(declare -f _podman_cli); PODMAN_DIR='$PODMAN_DIR'; _podman_cli rm -a -f -t 0" \
			>/dev/null 2>&1
		kill -TERM "$PODMAN_PID" 2>/dev/null
		for i in $(seq 1 100); do # 10 s
			kill -0 "$PODMAN_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$PODMAN_PID" 2>/dev/null
		wait "$PODMAN_PID" 2>/dev/null
		rm -f "$PODMAN_DIR/podman.pid"
	fi
	# Overlay and shm mounts under the private storage, innermost first.
	awk -v d="$PODMAN_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	unset FGRUN_TEST_DOCKER_HOST
	PODMAN_PID=
	PODMAN_DIR=
	return 0
}

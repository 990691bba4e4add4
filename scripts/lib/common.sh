# Shared helpers for the wansteer scripts: repo paths, build directory, logging, root check.
# Source it: . "$(dirname "$0")/lib/common.sh"

WS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Build directory: BUILD_DIR (relative to the repo root or absolute), default "build".
WS_BUILD="${BUILD_DIR:-build}"
case "$WS_BUILD" in /*) ;; *) WS_BUILD="$WS_ROOT/$WS_BUILD" ;; esac
# Debian's python (it has scapy and pytest); never the pyenv one that may be first on PATH.
WS_PY=/usr/bin/python3
# Scratch state of a lab run (sockets, logs, pids); ignored by git.
WS_STATE="${WS_STATE:-$WS_ROOT/.lab}"

if [ -t 1 ]; then
    ws_bold=$'\e[1m'; ws_dim=$'\e[2m'; ws_red=$'\e[31m'; ws_green=$'\e[32m'; ws_yellow=$'\e[33m'; ws_off=$'\e[0m'
else
    ws_bold=; ws_dim=; ws_red=; ws_green=; ws_yellow=; ws_off=
fi

ws_log()  { printf '%s==>%s %s\n' "$ws_bold" "$ws_off" "$*"; }
ws_warn() { printf '%swarning:%s %s\n' "$ws_yellow" "$ws_off" "$*" >&2; }
ws_die()  { printf '%serror:%s %s\n' "$ws_red" "$ws_off" "$*" >&2; exit 1; }

ws_require_root() {
    [ "$(id -u)" -eq 0 ] || ws_die "run as root (sudo $0 $*)"
}

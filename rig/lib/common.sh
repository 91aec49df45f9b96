# shellcheck shell=bash
# Shared helpers for rig/up.sh and rig/down.sh: logging, the state dir, apt.

STATE="${WERF_RUN_RIG_DIR:-/var/lib/werf-run-rig}"
RIG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log()  { printf '[rig] %s\n' "$*" >&2; }
warn() { printf '[rig] WARNING: %s\n' "$*" >&2; }
die()  { printf '[rig] ERROR: %s\n' "$*" >&2; exit 1; }

# is_root: the rig only installs packages and starts daemons as root.
is_root() { [ "$(id -u)" = 0 ]; }

# apt_install PKG...: install the Debian packages that are not installed yet.
# `apt-get update` runs at most once per run, and only when something is missing.
_RIG_APT_UPDATED=""
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  is_root || die "missing packages (${missing[*]}) and not root: install them and re-run"
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: this rig expects Debian"
  if [ -z "$_RIG_APT_UPDATED" ]; then
    log "apt-get update (needed for: ${missing[*]})"
    # Third-party sources on the machine may be unreachable offline; Debian's
    # own mirror is what matters, so a partial failure is only a warning.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$STATE/apt-update.log" 2>&1 \
      || warn "apt-get update reported errors (see $STATE/apt-update.log); continuing"
    _RIG_APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$STATE/apt-install.log" 2>&1 || { tail -n 20 "$STATE/apt-install.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# pid_alive PIDFILE: true when the pidfile names a live process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
  local secs="$1" what="$2"; shift 2
  local i=0 n=$((secs * 5))
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -ge "$n" ] && return 1
    sleep 0.2
  done
  return 0
}

# start_detached NAME LOGFILE PIDFILE CMD...: start a daemon in its own session,
# detached from this shell, logging to LOGFILE and recording its pid.
start_detached() {
  local name="$1" logf="$2" pidf="$3"; shift 3
  log "starting $name: $*"
  setsid nohup "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$pidf"
}

# shellcheck shell=bash
# Two local registries (Debian's docker-registry, distribution 2.8):
#   127.0.0.1:5000  open
#   127.0.0.1:5001  htpasswd basic auth, user werfrun / password rig-secret
# These are test-only credentials for a loopback registry; they guard nothing.

REGISTRY=127.0.0.1:5000
AUTH_REGISTRY=127.0.0.1:5001
AUTH_USER=werfrun
AUTH_PASSWORD=rig-secret

# registry_code HOSTPORT [CURL-ARGS...]: HTTP status of GET /v2/ ("000" if down).
registry_code() {
  local hp="$1"; shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" "http://$hp/v2/" 2>/dev/null || true
}
open_registry_up() { [ "$(registry_code "$REGISTRY")" = 200 ]; }
auth_registry_up() { [ "$(registry_code "$AUTH_REGISTRY" -u "$AUTH_USER:$AUTH_PASSWORD")" = 200 ]; }

# start_registry NAME ADDR [HTPASSWD]: write NAME's config under the state dir and start it.
start_registry() {
  local name="$1" addr="$2" htpasswd="${3:-}" dir="$STATE/$1"
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $dir/data}"
    echo "  delete: {enabled: true}"
    echo "http: {addr: \"$addr\"}"
    if [ -n "$htpasswd" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: werf-run-rig, path: $htpasswd}"
    fi
  } >"$dir/config.yml"
  if pid_alive "$dir/pid"; then
    log "$name: the rig's registry (pid $(cat "$dir/pid")) is running but not answering yet; waiting"
  else
    start_detached "$name" "$dir/log" "$dir/pid" docker-registry serve "$dir/config.yml"
  fi
}

ensure_registries() {
  if open_registry_up && auth_registry_up; then
    log "registries answer on $REGISTRY (open) and $AUTH_REGISTRY (auth)"
    return 0
  fi
  command -v docker-registry >/dev/null && command -v htpasswd >/dev/null \
    || apt_install docker-registry apache2-utils

  if open_registry_up; then
    log "registry $REGISTRY answers; reusing it"
  else
    [ "$(registry_code "$REGISTRY")" = 000 ] \
      || die "something answers on $REGISTRY but not as an open registry (HTTP $(registry_code "$REGISTRY"))"
    start_registry registry-5000 "$REGISTRY"
  fi

  if auth_registry_up; then
    log "registry $AUTH_REGISTRY answers to $AUTH_USER; reusing it"
  else
    [ "$(registry_code "$AUTH_REGISTRY")" = 000 ] \
      || die "something answers on $AUTH_REGISTRY but does not accept $AUTH_USER:$AUTH_PASSWORD (HTTP $(registry_code "$AUTH_REGISTRY" -u "$AUTH_USER:$AUTH_PASSWORD"))"
    mkdir -p "$STATE/registry-5001"
    htpasswd -Bbn "$AUTH_USER" "$AUTH_PASSWORD" >"$STATE/registry-5001/htpasswd" 2>/dev/null
    start_registry registry-5001 "$AUTH_REGISTRY" "$STATE/registry-5001/htpasswd"
  fi

  wait_for 20 "$REGISTRY" open_registry_up \
    || { tail -n 20 "$STATE/registry-5000/log" >&2 || true; die "registry $REGISTRY did not come up"; }
  wait_for 20 "$AUTH_REGISTRY" auth_registry_up \
    || { tail -n 20 "$STATE/registry-5001/log" >&2 || true; die "registry $AUTH_REGISTRY did not come up"; }
  log "registries answer on $REGISTRY (open) and $AUTH_REGISTRY (auth: $AUTH_USER/$AUTH_PASSWORD)"
}

# registry_digest HOSTPORT REPO TAG [CURL-ARGS...]: the manifest digest the
# registry holds for REPO:TAG, or empty.
registry_digest() {
  local hp="$1" repo="$2" tag="$3"; shift 3
  curl -fsS -I --max-time 5 "$@" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$hp/v2/$repo/manifests/$tag" 2>/dev/null \
    | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}' || true
}

# registry_copy_tag HOSTPORT REPO FROM_TAG TO_TAG [CURL-ARGS...]: give the
# manifest of REPO:FROM_TAG a second tag, server-side (no layer traffic).
registry_copy_tag() {
  local hp="$1" repo="$2" from="$3" to="$4"; shift 4
  local mt='application/vnd.docker.distribution.manifest.v2+json'
  curl -fsS --max-time 10 "$@" -H "Accept: $mt" "http://$hp/v2/$repo/manifests/$from" \
    | curl -fsS --max-time 10 "$@" -X PUT -H "Content-Type: $mt" --data-binary @- \
        "http://$hp/v2/$repo/manifests/$to" >/dev/null
}

#!/usr/bin/env bash
# One-shot Azure Pipelines agent for ado-agent-scaler: register under the name the scaler chose,
# run exactly one job (run.sh --once), deregister, exit. The scaler deletes the container after.
# The agent never updates itself (agent.disableupdate): under --once an update ends the run or,
# through run.sh, brings the agent back for a second job (azure-pipelines-agent#2311, #2762).
#
# Environment (set by the scaler's ACI and AKS launchers):
#   AZP_URL          organization URL, e.g. https://dev.azure.com/contoso (a trailing / is fine)
#   AZP_POOL         agent pool name
#   AZP_AGENT_NAME   agent name, derived from the job request
#   AZP_TOKEN        PAT with scope Agent Pools (read & manage): ACI secureValue, Kubernetes Secret
#   AZP_TOKEN_FILE   instead of AZP_TOKEN, a file holding it (deleted once read, where writable)
#   AZP_WORK         work folder (default _work)
#   AZP_RUN_AS_ROOT  "true": configure and run the agent as root (jobs may then need no sudo);
#                    default: as the unprivileged user AZP_AGENT_USER ("agent")
#   AZP_AGENT_DIR    where the agent is (default /azp/agent; a baked-in agent is used as is)
#   other variables  reported by the agent as capabilities (the profile's capabilities)
#
# Where the token is, step by step:
#   1. It arrives in this process's environment, which /proc/1/environ shows for the life of
#      the process whatever `unset` does. So it is handed on a pipe (fd 3) to a fresh copy of
#      this script, exec'd without it: from then on it exists only in this shell's memory. No
#      file ever holds it.
#   2. It goes to `config.sh --token` (registration; no job runs yet) and to curl through a
#      config on a pipe (so never on a command line while anything else runs).
#   3. Jobs run as "agent", which can read neither root's memory nor its environment, and the
#      token stays in this root shell for `config.sh remove` at exit: a one-shot agent leaves no
#      offline registration behind. With AZP_RUN_AS_ROOT=true a job could read this shell's
#      memory, so the token is dropped right after registration and the scaler's janitor removes
#      the offline registration instead.
set -euo pipefail

readonly AGENT_DIR="${AZP_AGENT_DIR:-/azp/agent}"
readonly AGENT_USER="${AZP_AGENT_USER:-agent}"
readonly TOKEN_ON_FD=--token-on-fd-3
# Seconds the agent gets to stop after SIGTERM (Kubernetes allows 30 by default before SIGKILL).
readonly STOP_GRACE_SECONDS="${AZP_STOP_GRACE_SECONDS:-25}"

log() { printf '%s start.sh: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() {
  log "error: $*"
  exit 1
}

# --- 1. The token leaves the environment --------------------------------------------------
if [[ ${1:-} != "$TOKEN_ON_FD" ]]; then
  token="${AZP_TOKEN:-}"
  if [[ -z $token && -n ${AZP_TOKEN_FILE:-} ]]; then
    token="$(<"$AZP_TOKEN_FILE")" || fail "cannot read AZP_TOKEN_FILE ($AZP_TOKEN_FILE)"
    # A mounted Secret is read-only and stays; any other file does not outlive this line.
    rm -f -- "$AZP_TOKEN_FILE" 2>/dev/null || true
  fi
  [[ -n $token ]] || fail "AZP_TOKEN is not set: give the PAT (scope Agent Pools: read & manage) as a secure environment variable, or its file in AZP_TOKEN_FILE"
  exec 3< <(printf '%s' "$token")
  exec env -u AZP_TOKEN -u AZP_TOKEN_FILE "$BASH" "$0" "$TOKEN_ON_FD"
fi
# As PID 1 this shell would ignore SIGTERM without a trap: until the agent runs, stop at once.
trap 'exit 143' TERM
trap 'exit 130' INT
token=''
IFS= read -r -d '' token <&3 || true
exec 3<&-
[[ -n $token ]] || fail "the token did not arrive on fd 3"

# --- 2. Settings ---------------------------------------------------------------------------
require() { [[ -n ${!1:-} ]] || fail "$1 is not set: $2"; }
require AZP_URL "set it to the organization URL, e.g. https://dev.azure.com/contoso"
require AZP_POOL "set it to the agent pool name"
require AZP_AGENT_NAME "set it to the agent name"
readonly org_url="${AZP_URL%/}"
readonly work_dir="${AZP_WORK:-_work}"
case "${AZP_RUN_AS_ROOT:-false}" in
  true | 1) run_as_root=true ;;
  *) run_as_root=false ;;
esac
# The agent reports its environment as capabilities; these are not capabilities.
export VSO_AGENT_IGNORE="AZP_TOKEN,AZP_TOKEN_FILE,AZP_RUN_AS_ROOT,AZP_AGENT_DIR,AZP_AGENT_USER,AZP_STOP_GRACE_SECONDS,agent.disableupdate"

# Runs a command as the agent's user, with this environment (capabilities included).
as_agent() {
  if $run_as_root; then
    AGENT_ALLOW_RUNASROOT=1 "$@"
  else
    env HOME="$(getent passwd "$AGENT_USER" | cut -d: -f6)" USER="$AGENT_USER" LOGNAME="$AGENT_USER" \
      setpriv --reuid="$AGENT_USER" --regid="$(id -g "$AGENT_USER")" --init-groups -- "$@"
  fi
}

# curl config on a pipe: the Authorization header never shows on a command line.
basic_auth_config() {
  printf 'header = "Authorization: Basic %s"\n' "$(printf ':%s' "$token" | base64 -w0)"
}

# --- 3. The agent package the organization asks for ----------------------------------------
download_agent() {
  local api="$org_url/_apis/distributedtask/packages/agent?platform=linux-x64&\$top=1"
  local response url hash archive
  log "looking up the agent package at $api"
  response="$(curl --fail --silent --show-error --retry 5 --retry-connrefused \
    --config <(basic_auth_config) --header 'Accept: application/json' "$api")" ||
    fail "could not list agent packages: check AZP_URL ($org_url) and that the token is valid for that organization"
  url="$(jq -r '.value[0].downloadUrl // empty' <<<"$response")"
  hash="$(jq -r '.value[0].hashValue // empty' <<<"$response")"
  [[ -n $url ]] || fail "the organization returned no linux-x64 agent package"
  archive="$(mktemp /tmp/agent.XXXXXX.tar.gz)"
  log "downloading $url"
  # The package download is public: no token goes there.
  curl --fail --silent --show-error --location --retry 5 --output "$archive" "$url" ||
    fail "could not download the agent package from $url"
  if [[ $hash =~ ^[0-9a-fA-F]{64}$ ]]; then
    sha256sum --check --quiet <<<"${hash,,}  $archive" || fail "the agent package does not match its SHA-256 ($hash)"
  fi
  tar -xzf "$archive" -C "$AGENT_DIR"
  rm -f -- "$archive"
}

cd "$AGENT_DIR"
if [[ ! -x ./config.sh ]]; then
  download_agent
else
  log "using the agent baked into the image"
fi
# "user:" is the user and its login group.
$run_as_root || chown -R "$AGENT_USER:" "$AGENT_DIR"

# --- 4. Register ---------------------------------------------------------------------------
registered=false
# shellcheck disable=SC2317 # called by the EXIT trap
deregister() {
  $registered && [[ -n $token ]] || return 0
  if as_agent ./config.sh remove --unattended --auth pat --token "$token" >/dev/null 2>&1; then
    log "agent $AZP_AGENT_NAME removed from pool \"$AZP_POOL\""
  else
    log "could not remove agent $AZP_AGENT_NAME; the scaler's janitor removes offline registrations"
  fi
}
trap deregister EXIT

log "registering agent $AZP_AGENT_NAME in pool \"$AZP_POOL\" of $org_url"
as_agent ./config.sh --unattended --url "$org_url" --auth pat --token "$token" \
  --pool "$AZP_POOL" --agent "$AZP_AGENT_NAME" --work "$work_dir" --replace --acceptTeeEula ||
  fail "registration failed: check the pool name and that the token has Agent Pools (read & manage)"
registered=true
if $run_as_root; then
  token=''
fi

# --- 5. One job, stopped cleanly on SIGTERM/SIGINT -----------------------------------------
agent_pid=''
exit_code=''
# shellcheck disable=SC2317 # called by the TERM and INT traps
stop_agent() {
  exit_code=$1
  log "stopping the agent ($2)"
  [[ -n $agent_pid ]] || exit "$exit_code"
  # SIGINT is the agent's own "stop" (Ctrl+C): it cancels a running job and exits.
  kill -INT -- "-$agent_pid" 2>/dev/null || true
  (
    sleep "$STOP_GRACE_SECONDS"
    kill -KILL -- "-$agent_pid" 2>/dev/null || true
  ) &
}
trap 'stop_agent 143 SIGTERM' TERM
trap 'stop_agent 130 SIGINT' INT

# Job control gives the agent its own process group, so one signal reaches run.sh, the
# listener and the worker alike.
set -m
# Any value of agent.disableupdate makes the listener skip ADO's update message (agent 2.100+; a
# name bash cannot export, hence env). The image is what gets updated: see the README.
as_agent env agent.disableupdate=true ./run.sh --once &
agent_pid=$!
set +m

status=0
while :; do
  if wait "$agent_pid"; then status=0; else status=$?; fi
  # A trapped signal interrupts wait; wait again until the agent has really ended.
  kill -0 "$agent_pid" 2>/dev/null || break
done
log "agent exited with status $status"
exit "${exit_code:-$status}"

#!/bin/bash
# apply.sh: installs a PenguinMails host bundle on this Debian 12 host, or leaves the host as it was.
# Runs as root, shipped inside the bundle next to apply-settings.sh (generated from
# hostBundle/apply/serviceTable.ts), manifest.json, manifest.tsv and files/.
#
#   apply.sh BUNDLE_DIR [--expect-hash SHA256] [--deploy-source ADDRESS] [--deploy-user NAME] [--deploy-auth FILE]
#
# 1. Verify the bundle (manifest hash, every file's sha256) and install missing packages.
# 2. Compare every file with the installed one (content, mode, owner). Nothing differs: stop here;
#    nothing is reloaded (a unit found stopped is started, a running one never touched).
# 3. Validate with each changed daemon's own checker in a private mount namespace where the staged
#    files sit at their real paths over the live tree (includes and key paths resolve to the new
#    files, nothing is visible to the running daemons). For a firewall change, also load the staged
#    ruleset into a scratch network namespace and connect to SSH from every admin and deploy
#    source, and from the address this deploy comes from; for an sshd change, check that the new
#    config still admits the deploying user from that address with a key, and that the new
#    authorized keys still hold the key this deploy logged in with (sshd's ExposeAuthInfo file,
#    --deploy-auth; where sshd does not say, every key that logs in as the user now). A change
#    that would lock SSH out is rejected before it goes live.
# 4. Back up the files about to change (BACKUP_DIR), install each with an atomic rename (a symlink
#    at the target, like systemd-resolved's /etc/resolv.conf, is replaced by the file), reload only
#    the services whose files changed, and check that they answer: units active, ports listening,
#    TLS handshakes on their ports, the service table's health probes (the resolver Postfix's
#    chroot uses validates DNSSEC), no new fatal/panic/error/warning lines in their logs (some
#    mistakes, like an impossible TLS protocol list, only show there).
# 5. Any failure after going live restores the backup and reloads the same services again.
# Every action is one JSON line in the spec's AuditLog shape in AUDIT_LOG.
#
# Exit codes: 0 applied or unchanged; 2 unusable bundle or invocation; 3 rejected by a check
# before anything went live; 4 failed after going live, previous files restored and serving again;
# 5 failed and the restore did not bring everything back (see the audit log).
set -euo pipefail
umask 077
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

usage="usage: apply.sh BUNDLE_DIR [--expect-hash SHA256] [--deploy-source ADDRESS] [--deploy-user NAME] [--deploy-auth FILE]"
bundle_dir=${1:?$usage}
shift
self="$bundle_dir/apply.sh"
expect_hash=""
deploy_source=""
deploy_user=""
deploy_auth=""
validate_only=""
while [ $# -gt 0 ]; do
  case $1 in
    --expect-hash) expect_hash=${2:?$usage}; shift 2 ;;
    --deploy-source) deploy_source=${2:-}; shift 2 ;;
    --deploy-user) deploy_user=${2:-}; shift 2 ;;
    --deploy-auth) deploy_auth=${2:-}; shift 2 ;;
    # Internal: re-entered by validate_staged inside its private mount namespace.
    --validate-in-view) validate_only=1; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

# shellcheck source=/dev/null
source "$bundle_dir/apply-settings.sh"

plan_dir="$bundle_dir/.plan"
bundle_hash=""
ip_address=${deploy_source:-local}

say() { printf '%s\n' "$*"; }

# json_str VAR TEXT: sets VAR to TEXT as a JSON string (no subshell: the apply forks little).
json_str() {
  local s=$2
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//[[:cntrl:]]/}
  printf -v "$1" '"%s"' "$s"
}

# audit EVENT_TYPE ACTION RESOURCE RESOURCE_ID SEVERITY "TAG ..." [CHANGESET_JSON]
audit() {
  local id now millis field line tags="" t changeset=""
  read -r id </proc/sys/kernel/random/uuid
  now=$EPOCHREALTIME
  millis=${now#*.}
  printf -v now '%(%Y-%m-%dT%H:%M:%S)T.%sZ' "${now%.*}" "${millis:0:3}"
  for t in $6; do json_str field "$t"; tags+="${tags:+,}$field"; done
  [ -z "${7:-}" ] || changeset=",\"changeset\":$7"
  line="{"
  for field in id:"$id" tenantId:"$TENANT_ID" timestamp:"$now" eventType:"$1" eventCategory:infrastructure action:"$2" \
    resource:"$3" resourceId:"$4" ipAddress:"$ip_address" userAgent:"$USER_AGENT" requestId:"$bundle_hash"; do
    json_str t "${field#*:}"
    line+="\"${field%%:*}\":$t,"
  done
  json_str t "$5"
  printf '%s"severity":%s,"tags":[%s]}\n' "${line%,}${changeset}," "$t" "$tags" >>"$AUDIT_LOG"
}

# ---------------------------------------------------------------------------------------------
# The bundle and what it changes

declare -A NEW_MODE=() NEW_OWNER=() NEW_GROUP=() NEW_SERVICES=() NEW_SHA=() OLD_SERVICES=()
declare -A LIVE_SHA=() LIVE_META=() BUNDLE_SERVICES=() AFFECTED=() IS_CHANGED=()
NEW_PATHS=()
CHANGED=()
REMOVED=()
PLACEHOLDERS=()

read_manifest() {
  local path mode owner group services sha s
  while IFS=$'\t' read -r path mode owner group services sha; do
    NEW_PATHS+=("$path")
    NEW_MODE[$path]=$mode NEW_OWNER[$path]=$owner NEW_GROUP[$path]=$group
    NEW_SERVICES[$path]=$services NEW_SHA[$path]=$sha
    for s in ${services//,/ }; do BUNDLE_SERVICES[$s]=1; done
  done <"$bundle_dir/manifest.tsv"
  if [ -f "$STATE_DIR/installed/manifest.tsv" ]; then
    while IFS=$'\t' read -r path mode owner group services sha; do OLD_SERVICES[$path]=$services; done <"$STATE_DIR/installed/manifest.tsv"
  fi
}

verify_bundle() {
  local path bad
  read -r bundle_hash _ < <(sha256sum <"$bundle_dir/manifest.json")
  if [ -n "$expect_hash" ] && [ "$expect_hash" != "$bundle_hash" ]; then
    say "bundle rejected: manifest.json hashes to $bundle_hash, expected $expect_hash (a stale or partial upload?)" >&2
    exit 2
  fi
  bad=$(cd "$bundle_dir/files" && for path in "${NEW_PATHS[@]}"; do printf '%s  .%s\n' "${NEW_SHA[$path]}" "$path"; done | sha256sum --check --quiet 2>&1) || {
    say "bundle rejected: files do not match manifest.tsv: $bad" >&2
    exit 2
  }
}

is_tls_path() { [ "$1" = "$TLS_FULLCHAIN" ] || [ "$1" = "$TLS_PRIVATE_KEY" ]; }

ensure_packages() {
  local wanted=() missing=() p s status
  local -A installed=()
  read -ra wanted <<<"$TOOL_PACKAGES"
  for s in $SERVICE_ORDER; do
    if [ -n "${BUNDLE_SERVICES[$s]:-}" ]; then read -ra p <<<"${SERVICE_PACKAGES[$s]}"; wanted+=("${p[@]}"); fi
  done
  while read -r status p; do
    if [ "$status" = ii ]; then installed[$p]=1; fi
  done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${wanted[@]}" 2>/dev/null || true)
  for p in "${wanted[@]}"; do
    if [ -z "${installed[$p]:-}" ] && [[ " ${missing[*]} " != *" $p "* ]]; then missing+=("$p"); fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing missing packages: ${missing[*]}"
  # Debian's postfix asks for a mail setup; the bundle brings the whole configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null
  apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install --no-install-recommends "${missing[@]}" >/dev/null
  for p in "${missing[@]}"; do audit infrastructure.package.installed create package "$p" info "host-config package"; done
}

# The accounts and directories the bundle's services expect (serviceTable.ts): created only when
# missing, before validation, so the checkers and the daemons find them.
prepare_host() {
  local s entry name uid gid home path mode owner group
  for s in $SERVICE_ORDER; do
    [ -n "${BUNDLE_SERVICES[$s]:-}" ] || continue
    for entry in ${SERVICE_ACCOUNTS[$s]}; do
      IFS=: read -r name uid gid home <<<"$entry"
      if ! getent group "$name" >/dev/null; then groupadd --system --gid "$gid" "$name"; fi
      if ! getent passwd "$name" >/dev/null; then
        useradd --uid "$uid" --gid "$gid" --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$name"
        audit infrastructure.account.created create account "$name" info "host-config $s"
      fi
    done
    for entry in ${SERVICE_DIRECTORIES[$s]}; do
      IFS=: read -r path mode owner group <<<"$entry"
      if [ ! -d "$path" ]; then
        install -d -m "$mode" -o "$owner" -g "$group" "$path"
        audit infrastructure.directory.created create directory "$path" info "host-config $s"
      fi
    done
  done
}

mark_changed() { # PATH SERVICES(comma-separated)
  local s
  if [ -z "${IS_CHANGED[$1]:-}" ]; then IS_CHANGED[$1]=1; CHANGED+=("$1"); fi
  for s in ${2//,/ }; do AFFECTED[$s]=1; done
}

plan_changes() {
  local existing=() path sha mode owner group want
  for path in "${NEW_PATHS[@]}"; do [ ! -e "$path" ] || existing+=("$path"); done
  if [ ${#existing[@]} -gt 0 ]; then
    while read -r sha path; do LIVE_SHA[$path]=$sha; done < <(sha256sum -- "${existing[@]}")
    while IFS='|' read -r mode owner group path; do LIVE_META[$path]="$((8#$mode)) $owner $group"; done < <(stat -c '%a|%U|%G|%n' -- "${existing[@]}")
  fi
  for path in "${NEW_PATHS[@]}"; do
    want="$((8#${NEW_MODE[$path]})) ${NEW_OWNER[$path]} ${NEW_GROUP[$path]}"
    if [ "${LIVE_SHA[$path]:-}" != "${NEW_SHA[$path]}" ] || [ "${LIVE_META[$path]:-}" != "$want" ]; then
      mark_changed "$path" "${NEW_SERVICES[$path]}"
    fi
  done
  # Files an earlier bundle installed and this one no longer has; the certificate stays (see below).
  for path in "${!OLD_SERVICES[@]}"; do
    if [ -z "${NEW_SHA[$path]:-}" ] && ! is_tls_path "$path"; then
      REMOVED+=("$path")
      mark_changed "$path" "${OLD_SERVICES[$path]}"
    fi
  done
  # No certificate in the bundle yet (it is issued after the droplet exists): keep the host's
  # current pair, or generate a self-signed placeholder here so the TLS listeners can start. The
  # placeholder's key is made on this host and never travels.
  if [ -z "${NEW_SHA[$TLS_FULLCHAIN]:-}" ] && { [ ! -s "$TLS_FULLCHAIN" ] || [ ! -s "$TLS_PRIVATE_KEY" ]; }; then
    PLACEHOLDERS=("$TLS_FULLCHAIN" "$TLS_PRIVATE_KEY")
    NEW_MODE[$TLS_FULLCHAIN]=0644 NEW_MODE[$TLS_PRIVATE_KEY]=0600
    for path in "${PLACEHOLDERS[@]}"; do
      NEW_OWNER[$path]=root NEW_GROUP[$path]=root NEW_SERVICES[$path]=${TLS_CONSUMERS// /,}
      mark_changed "$path" "${NEW_SERVICES[$path]}"
    done
  fi
  AFFECTED_ORDERED=()
  for s in $SERVICE_ORDER; do [ -z "${AFFECTED[$s]:-}" ] || AFFECTED_ORDERED+=("$s"); done
}

# ---------------------------------------------------------------------------------------------
# Staging and validation

stage_files() {
  local path staged
  for path in "${NEW_PATHS[@]}"; do
    staged="$bundle_dir/files$path"
    chown "${NEW_OWNER[$path]}:${NEW_GROUP[$path]}" "$staged" 2>/dev/null || {
      say "rejected: $path: owner ${NEW_OWNER[$path]}:${NEW_GROUP[$path]} does not exist on this host" >&2
      audit infrastructure.config.rejected update file "$path" warning "host-config rejected"
      exit 3
    }
    chmod "${NEW_MODE[$path]}" "$staged"
  done
  if [ ${#PLACEHOLDERS[@]} -gt 0 ]; then
    install -d -m 0755 "$bundle_dir/files$(dirname "$TLS_FULLCHAIN")" "$bundle_dir/files$(dirname "$TLS_PRIVATE_KEY")"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
      -subj "/CN=$MAIL_HOSTNAME" -addext "subjectAltName=DNS:$MAIL_HOSTNAME,DNS:$MTA_STS_HOSTNAME" \
      -keyout "$bundle_dir/files$TLS_PRIVATE_KEY" -out "$bundle_dir/files$TLS_FULLCHAIN" 2>/dev/null
    chmod 0644 "$bundle_dir/files$TLS_FULLCHAIN"
    chmod 0600 "$bundle_dir/files$TLS_PRIVATE_KEY"
    say "no certificate in this bundle and none on the host: generated a self-signed placeholder for $MAIL_HOSTNAME"
    audit infrastructure.certificate.placeholder_created create certificate "$TLS_FULLCHAIN" warning "host-config tls placeholder"
  fi
  # A jail whose log file is missing fails fail2ban's checker; the daemons create them only later.
  for path in $LOG_FILES_BEFORE_VALIDATION; do [ -e "$path" ] || install -m 0640 -g adm /dev/null "$path"; done
  mkdir -p "$plan_dir"
  printf '%s\n' "${REMOVED[@]}" >"$plan_dir/removed"
  printf '%s\n' "${AFFECTED_ORDERED[@]}" >"$plan_dir/affected"
  for path in "${CHANGED[@]}"; do printf '%s\t%s\n' "$path" "${NEW_SERVICES[$path]:-${OLD_SERVICES[$path]:-}}"; done >"$plan_dir/changed"
}

validate_staged() {
  local out
  if out=$(unshare --mount --propagation private -- bash "$self" "$bundle_dir" --validate-in-view \
    --deploy-source "$deploy_source" --deploy-user "$deploy_user" 2>&1); then
    [ -z "$out" ] || say "$out"
    return 0
  fi
  say "rejected before going live; the host keeps its current configuration:" >&2
  say "$out" >&2
  audit infrastructure.config.rejected update host-config "$bundle_hash" warning "host-config rejected ${AFFECTED_ORDERED[*]}"
  exit 3
}

# In the private mount namespace: the staged tree (plus whiteouts for removed files) on a tmpfs,
# mounted read-only over each top directory it touches.
mount_staged_view() {
  local view="$bundle_dir/.view" path top roots=()
  mkdir -p "$view"
  mount -t tmpfs -o mode=0755 penguinmails-view "$view"
  cp -a "$bundle_dir/files/." "$view/"
  while read -r path; do
    [ -n "$path" ] || continue
    mkdir -p "$view$(dirname "$path")"
    rm -f "$view$path"
    mknod "$view$path" c 0 0
  done <"$plan_dir/removed"
  for top in "$view"/*; do
    top=${top#"$view"}
    # /var holds logs, spools and pid files the checkers write: overlay only the subtree touched.
    if [ "$top" = /var ]; then
      for path in "$view"/var/*; do roots+=("${path#"$view"}"); done
    else
      roots+=("$top")
    fi
  done
  for top in "${roots[@]}"; do
    mkdir -p "$top"
    mount -t overlay penguinmails-staged -o "ro,lowerdir=$view$top:$top" "$top"
  done
}

FAILED_CHECKS=" "

run_checks() {
  local entry service command pattern out rc failed=0
  for entry in "${SERVICE_CHECKS[@]}"; do
    IFS=$CHECK_FIELD_SEPARATOR read -r service command pattern <<<"$entry"
    grep -qx -- "$service" "$plan_dir/affected" || continue
    rc=0
    out=$(timeout 120 bash -c "$command" 2>&1 </dev/null) || rc=$?
    if [ $rc -ne 0 ] || { [ -n "$pattern" ] && grep -Eiq -- "$pattern" <<<"$out"; }; then
      failed=1
      FAILED_CHECKS+="$service "
      say "$service: \`$command\` failed (exit $rc) for$(changed_files_of "$service"):"
      say "${out:-(no output)}" | sed 's/^/    /'
    fi
  done
  return $failed
}

changed_files_of() { # SERVICE: the files of that service this bundle changes, from the staged plan
  local path services
  while IFS=$'\t' read -r path services; do
    if [[ ",$services," == *",$1,"* ]]; then printf ' %s' "$path"; fi
  done <"$plan_dir/changed"
}

# Loads the staged ruleset into a scratch network namespace whose interface is named like this
# host's, and connects to SSH from every admin/deploy source. The rules see the same interface
# name, addresses and port as on the host; nothing of it touches the host's own network.
ssh_probe() {
  local srv="pm-probe-s$$" cli="pm-probe-c$$" ifname dst4 dst6 src sources=() targets=() out rc=0
  read -r ifname dst4 < <(ip -o -4 addr show scope global | awk '{ split($4, a, "/"); print $2, a[1]; exit }') || true
  dst6=$(ip -o -6 addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
  [ -n "${ifname:-}" ] || ifname=$(ip -o -6 addr show scope global | awk '{ print $2; exit }')
  read -ra sources <<<"$SSH_PROBE_SOURCES ${deploy_source:-}"
  ip netns add "$srv"
  ip netns add "$cli"
  # shellcheck disable=SC2064 # the names are fixed now
  trap "ip netns pids $srv 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $srv 2>/dev/null; ip netns del $cli 2>/dev/null" EXIT
  ip -n "$srv" link add "${ifname:-eth0}" type veth peer name probe0 netns "$cli"
  # No link-local addresses, so no duplicate address detection to wait for (/proc/sys may be
  # read-only here); the global addresses below are added with nodad.
  ip -n "$srv" link set "${ifname:-eth0}" addrgenmode none
  ip -n "$cli" link set probe0 addrgenmode none
  ip -n "$srv" link set lo up
  ip -n "$srv" link set "${ifname:-eth0}" up
  ip -n "$cli" link set lo up
  ip -n "$cli" link set probe0 up
  for src in "${sources[@]}"; do
    if [[ $src == *:* ]]; then [ -n "$dst6" ] || continue; else [ -n "${dst4:-}" ] || continue; fi
    if [[ $src == *:* ]]; then targets+=("$src,$dst6"); else targets+=("$src,$dst4"); fi
    if [[ $src == *:* ]]; then
      ip -n "$cli" addr replace "$src/128" dev probe0 nodad
      ip -n "$srv" route replace "$src/128" dev "${ifname:-eth0}"
    else
      ip -n "$cli" addr replace "$src/32" dev probe0
      ip -n "$srv" route replace "$src/32" dev "${ifname:-eth0}"
    fi
  done
  if [ -n "${dst4:-}" ]; then
    ip -n "$srv" addr add "$dst4/32" dev "${ifname:-eth0}"
    ip -n "$cli" route replace "$dst4/32" dev probe0
  fi
  if [ -n "$dst6" ]; then
    ip -n "$srv" addr add "$dst6/128" dev "${ifname:-eth0}" nodad
    ip -n "$cli" route replace "$dst6/128" dev probe0
  fi
  if [ ${#targets[@]} -eq 0 ]; then
    say "nftables: no admin or deploy source shares an address family with this host; cannot prove SSH stays reachable"
    return 1
  fi
  out=$(ip netns exec "$srv" nft -f /etc/nftables.conf 2>&1) || {
    say "nftables: /etc/nftables.conf does not load: $out"
    return 1
  }
  ip netns exec "$srv" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(64)
while True:
    s.accept()[0].close()
' "$SSH_PORT" &
  for _ in $(seq 50); do ip netns exec "$srv" ss -Hltn "sport = :$SSH_PORT" | grep -q . && break; sleep 0.05; done
  out=$(ip netns exec "$cli" python3 -c '
import socket, sys
port = int(sys.argv[1])
for pair in sys.argv[2:]:
    src, dst = pair.split(",")
    try:
        socket.create_connection((dst, port), timeout=3, source_address=(src, 0)).close()
    except OSError as err:
        print(f"SSH from {src} to {dst}:{port} would be blocked ({err})")
' "$SSH_PORT" "${targets[@]}" 2>&1) || rc=$?
  if [ -n "$out" ] || [ $rc -ne 0 ]; then
    say "nftables: the staged ruleset would lock SSH out:"
    say "$out" | sed 's/^/    /'
    return 1
  fi
}

# Does `user[@host]` (sshd's AllowUsers/DenyUsers syntax, glob patterns) match the deploy?
# A host part that is a CIDR block is taken as matching: only globs are evaluated here.
sshd_user_pattern_matches() {
  local user_part=${1%%@*} host_part=""
  [[ $1 == *@* ]] && host_part=${1#*@}
  # shellcheck disable=SC2053 # the right-hand sides are sshd's glob patterns
  [[ $deploy_user == $user_part ]] || return 1
  # shellcheck disable=SC2053
  [ -z "$host_part" ] || [[ $host_part == */* ]] || [[ ${deploy_source:-} == $host_part ]]
}

# The staged sshd config must still let the deploying user in, from the deploy address, with a
# key: AllowUsers/DenyUsers/AllowGroups/DenyGroups, PubkeyAuthentication, PermitRootLogin.
sshd_admits_deployer() {
  local addr=${deploy_source:-127.0.0.1} conf groups key value allow=() deny=() allow_g=() deny_g=() p g ok
  if [ -z "$deploy_user" ]; then
    say "ssh: no deploying user known (not run through sudo?); cannot prove the new sshd config admits it"
    return 1
  fi
  conf=$(sshd -T -C "user=$deploy_user,host=$addr,addr=$addr" 2>&1) || { say "ssh: sshd -T failed: $conf"; return 1; }
  groups=$(id -Gn "$deploy_user" 2>/dev/null || true)
  while read -r key value; do
    case $key in
      allowusers) allow+=("$value") ;;
      denyusers) deny+=("$value") ;;
      allowgroups) allow_g+=("$value") ;;
      denygroups) deny_g+=("$value") ;;
      pubkeyauthentication) [ "$value" = yes ] || { say "ssh: the new sshd config turns public key authentication off"; return 1; } ;;
      permitrootlogin) if [ "$deploy_user" = root ] && [ "$value" = no ]; then say "ssh: the new sshd config refuses root, who is deploying"; return 1; fi ;;
    esac
  done <<<"$conf"
  for p in "${deny[@]}"; do
    if sshd_user_pattern_matches "$p"; then say "ssh: the new sshd config denies $deploy_user (DenyUsers $p), who is deploying"; return 1; fi
  done
  if [ ${#allow[@]} -gt 0 ]; then
    ok=""
    for p in "${allow[@]}"; do if sshd_user_pattern_matches "$p"; then ok=1; fi; done
    [ -n "$ok" ] || { say "ssh: the new sshd config would lock out $deploy_user, who is deploying (AllowUsers ${allow[*]})"; return 1; }
  fi
  for p in "${deny_g[@]}"; do
    for g in $groups; do
      # shellcheck disable=SC2053
      if [[ $g == $p ]]; then say "ssh: the new sshd config denies group $g of $deploy_user, who is deploying"; return 1; fi
    done
  done
  if [ ${#allow_g[@]} -gt 0 ]; then
    ok=""
    # shellcheck disable=SC2053
    for p in "${allow_g[@]}"; do for g in $groups; do [[ $g == $p ]] && ok=1; done; done
    [ -n "$ok" ] || { say "ssh: the new sshd config would lock out $deploy_user, who is deploying (AllowGroups ${allow_g[*]})"; return 1; }
  fi
}

# SHA256 fingerprints of the keys in authorized_keys lines on stdin (ssh-keygen skips options,
# comments and anything that is not a key), one a line.
key_fingerprints() {
  { ssh-keygen -l -E sha256 -f /dev/stdin 2>/dev/null || true; } | awk '$2 ~ /^SHA256:/ { print $2 }'
}

# The files sshd reads the deploying user's keys from, given `sshd -T` output: AuthorizedKeysFile
# with its tokens expanded as sshd does (%%, %h, %U, %u), relative paths under the home directory.
authorized_keys_files() { # SSHD_T_OUTPUT HOME UID
  local value paths=() path
  value=$(awk '$1 == "authorizedkeysfile" { $1 = ""; print substr($0, 2) }' <<<"$1")
  [ "$value" != none ] || return 0
  read -ra paths <<<"$value"
  for path in "${paths[@]}"; do
    path=${path//%%/$'\x01'}
    path=${path//%h/$2}
    path=${path//%U/$3}
    path=${path//%u/$deploy_user}
    path=${path//$'\x01'/%}
    [[ $path == /* ]] || path="$2/$path"
    printf '%s\n' "$path"
  done
}

# Would sshd read keys from FILE for the user? As its StrictModes does (auth_secure_path): a regular
# file, it and every directory above it owned by root or the user and not writable by group or
# others; and readable by the user, as whom sshd opens it. Prints why not.
keys_file_usable() { # FILE UID GID STRICTMODES
  local path dir owner mode
  path=$(realpath -e -- "$1" 2>/dev/null) || { say "$1 does not exist"; return 1; }
  [ -f "$path" ] || { say "$1 is not a regular file"; return 1; }
  if [ "$4" != no ]; then
    dir=$path
    while :; do
      read -r owner mode < <(stat -c '%u %a' -- "$dir")
      if { [ "$owner" != 0 ] && [ "$owner" != "$2" ]; } || (( 8#$mode & 8#022 )); then
        say "$dir has owner uid $owner and mode $mode: sshd (StrictModes) ignores $1"
        return 1
      fi
      [ "$dir" != / ] || break
      dir=$(dirname -- "$dir")
    done
  fi
  setpriv --reuid="$2" --regid="$3" --clear-groups test -r "$path" || { say "$deploy_user cannot read $1"; return 1; }
}

# The keys this deploy must keep, read from the live tree before validation: the one this SSH
# session logged in with, from sshd's ExposeAuthInfo file; where sshd does not say (a host whose
# sshd config predates it, or no file was passed), every key that logs in as the deploying user
# now. Writes "fingerprint key-type" lines to the plan (key-type "-" when unknown).
record_deploy_keys() {
  local method type blob fp conf uid gid home strict path files=() addr=${deploy_source:-127.0.0.1}
  : >"$plan_dir/deploy-keys"
  if [ -n "$deploy_auth" ] && [ -r "$deploy_auth" ]; then
    while read -r method type blob _; do
      if [ "$method" != publickey ] || ! [[ $type =~ ^[a-z0-9@.-]+$ ]]; then continue; fi
      fp=$(printf '%s %s\n' "$type" "$blob" | key_fingerprints)
      [ -z "$fp" ] || printf '%s %s\n' "$fp" "$type" >>"$plan_dir/deploy-keys"
    done <"$deploy_auth"
  fi
  if [ -s "$plan_dir/deploy-keys" ]; then echo session >"$plan_dir/deploy-keys-source"; return 0; fi
  echo live >"$plan_dir/deploy-keys-source"
  # Without a deploying user sshd_admits_deployer refuses the change; nothing to record.
  [ -n "$deploy_user" ] || return 0
  conf=$(sshd -T -C "user=$deploy_user,host=$addr,addr=$addr" 2>/dev/null) || return 0
  IFS=: read -r _ _ uid gid _ home _ < <(getent passwd "$deploy_user") || return 0
  strict=$(awk '$1 == "strictmodes" { print $2 }' <<<"$conf")
  mapfile -t files < <(authorized_keys_files "$conf" "$home" "$uid")
  for path in "${files[@]}"; do
    keys_file_usable "$path" "$uid" "$gid" "$strict" >/dev/null || continue
    key_fingerprints <"$path" | sed 's/$/ -/' >>"$plan_dir/deploy-keys"
  done
}

# The sshd config and key files in view (staged, or live after the install) still admit the keys
# record_deploy_keys kept: in a file sshd reads for the deploying user (AuthorizedKeysFile,
# StrictModes), on a line without options (a from= or expiry-time could refuse it), the key's
# algorithm accepted, and public key alone enough to log in.
keys_admit_deployer() {
  local addr=${deploy_source:-127.0.0.1} conf uid gid home strict value path why files=() admitted="" fp type missing=()
  if [ ! -s "$plan_dir/deploy-keys" ]; then
    say "ssh: no key of this deploy is known (no ExposeAuthInfo file, and none logs in as ${deploy_user:-anyone} now); cannot prove the new authorized keys admit it"
    return 1
  fi
  conf=$(sshd -T -C "user=$deploy_user,host=$addr,addr=$addr" 2>&1) || { say "ssh: sshd -T failed: $conf"; return 1; }
  IFS=: read -r _ _ uid gid _ home _ < <(getent passwd "$deploy_user") || { say "ssh: no account $deploy_user on this host"; return 1; }
  value=$(awk '$1 == "authorizedkeyscommand" { print $2 }' <<<"$conf")
  if [ "${value:-none}" != none ]; then say "ssh: the new sshd config takes keys from a command (AuthorizedKeysCommand); cannot prove it admits this deploy"; return 1; fi
  value=$(awk '$1 == "authenticationmethods" { $1 = ""; print substr($0, 2) }' <<<"$conf")
  if [ "${value:-any}" != any ] && [[ " $value " != *" publickey "* ]]; then say "ssh: the new sshd config asks for more than a key (AuthenticationMethods $value); this deploy has only its key"; return 1; fi
  strict=$(awk '$1 == "strictmodes" { print $2 }' <<<"$conf")
  mapfile -t files < <(authorized_keys_files "$conf" "$home" "$uid")
  for path in "${files[@]}"; do
    if why=$(keys_file_usable "$path" "$uid" "$gid" "$strict"); then
      admitted+=$(grep -E '^(ssh-|ecdsa-|sk-)' -- "$path" | key_fingerprints)$'\n'
    elif [[ $why != *"does not exist" ]]; then
      say "ssh: $why"
    fi
  done
  value=$(awk '$1 == "pubkeyacceptedalgorithms" { print $2 }' <<<"$conf")
  while read -r fp type; do
    if ! grep -qxF -- "$fp" <<<"$admitted"; then missing+=("$fp"); continue; fi
    [ "$type" != - ] || continue
    # An RSA key signs with rsa-sha2-256/512; its key type names none of them.
    if [[ ,$value, != *",$type,"* ]] && ! { [ "$type" = ssh-rsa ] && [[ ,$value, == *,rsa-sha2-256,* || ,$value, == *,rsa-sha2-512,* ]]; }; then
      say "ssh: the new sshd config no longer accepts $type keys (PubkeyAcceptedAlgorithms), which this deploy logs in with ($fp)"
      return 1
    fi
  done <"$plan_dir/deploy-keys"
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(cat "$plan_dir/deploy-keys-source")" = session ]; then
    say "ssh: the new authorized keys would lock out this deploy: the key it logged in with (${missing[*]}) is not among ${deploy_user}'s keys in ${files[*]:-no file}"
  else
    say "ssh: this host's sshd does not say which key this deploy logged in with (ExposeAuthInfo), so every key that logs in as ${deploy_user} now must stay; the new authorized keys (${files[*]:-no file}) drop ${missing[*]}. Apply the new sshd settings with the same keys first, or remove a key by hand from the file it is in now."
  fi
  return 1
}

in_view_main() {
  mount_staged_view
  local failed=0
  run_checks || failed=1
  # A ruleset nft already refused cannot be loaded for the probe either.
  if grep -qx nftables "$plan_dir/affected" && [[ $FAILED_CHECKS != *" nftables "* ]]; then
    ssh_probe || failed=1
  fi
  if grep -qx ssh "$plan_dir/affected"; then
    sshd_admits_deployer || failed=1
    keys_admit_deployer || failed=1
  fi
  return $failed
}

# ---------------------------------------------------------------------------------------------
# Going live, activation, health, rollback

phase=prepare
declare -A WAS_ACTIVE=() PRE_PORTS=() LOG_MARK=() PRE_PROBES=()
journal_cursor=""
RELOADED=()

install_file() { # SOURCE DESTINATION: a same-directory copy renamed over the target
  # rename(2) replaces the directory entry: a symlink at DESTINATION is replaced, never followed.
  local dir tmp
  dir=$(dirname "$2")
  [ -d "$dir" ] || install -d -m 0755 "$dir"
  tmp="$dir/.$(basename "$2").penguinmails-new"
  cp -a -- "$1" "$tmp"
  mv -fT -- "$tmp" "$2"
}

backup_live() {
  local path
  rm -rf "$BACKUP_DIR.new"
  mkdir -p "$BACKUP_DIR.new/files"
  : >"$BACKUP_DIR.new/absent"
  for path in "${CHANGED[@]}"; do
    # A symlink is kept as one (cp -a), even a dangling one (systemd-resolved's stub, resolved gone).
    if [ -e "$path" ] || [ -L "$path" ]; then
      mkdir -p "$BACKUP_DIR.new/files$(dirname "$path")"
      cp -a -- "$path" "$BACKUP_DIR.new/files$path"
    else
      printf '%s\n' "$path" >>"$BACKUP_DIR.new/absent"
    fi
  done
  [ ! -f "$STATE_DIR/installed/manifest.json" ] || cp -a "$STATE_DIR/installed/manifest.json" "$BACKUP_DIR.new/"
  rm -rf "$BACKUP_DIR"
  mv -T "$BACKUP_DIR.new" "$BACKUP_DIR"
}

# systemd reads unit files only on daemon-reload: without it a restart would run the old unit.
reload_changed_units() {
  if printf '%s\n' "${CHANGED[@]}" | grep -q '^/etc/systemd/system/'; then systemctl daemon-reload; fi
}

install_changed() {
  local path
  for path in "${CHANGED[@]}"; do
    if printf '%s\n' "${REMOVED[@]}" | grep -qx -- "$path"; then rm -f -- "$path"; else install_file "$bundle_dir/files$path" "$path"; fi
  done
  reload_changed_units
}

restore_backup() {
  local path
  for path in "${CHANGED[@]}"; do
    if grep -qx -- "$path" "$BACKUP_DIR/absent"; then rm -f -- "$path"; else install_file "$BACKUP_DIR/files$path" "$path"; fi
  done
  reload_changed_units
}

listening_ports() { ss -Hltn | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u; }

record_before() {
  local s u p listening
  listening=$(listening_ports)
  for s in "${AFFECTED_ORDERED[@]}"; do
    for u in ${SERVICE_UNITS[$s]}; do
      if systemctl is-active --quiet "$u"; then WAS_ACTIVE[$u]=1; fi
    done
    for p in ${SERVICE_PORTS[$s]}; do
      if grep -qx "$p" <<<"$listening"; then PRE_PORTS[$p]=$s; fi
    done
  done
  # Which health probes pass now: after a rollback only those must pass again.
  local entry service name command
  for entry in "${SERVICE_HEALTH_PROBES[@]}"; do
    IFS=$CHECK_FIELD_SEPARATOR read -r service name command <<<"$entry"
    [[ " ${AFFECTED_ORDERED[*]} " == *" $service "* ]] || continue
    if timeout 30 bash -c "$command" >/dev/null 2>&1 </dev/null; then PRE_PROBES[$service/$name]=1; fi
  done
}

mark_logs() {
  local s f
  journal_cursor=$(journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p') || true
  for s in "${AFFECTED_ORDERED[@]}"; do
    for f in ${SERVICE_LOG_FILES[$s]}; do LOG_MARK[$f]=$(stat -c %s "$f" 2>/dev/null || echo 0); done
  done
}

activate() { # "SERVICE ..." VERB(applied|restored)
  local s u verb out failed=0
  for s in $1; do
    verb=reloaded
    case ${SERVICE_ACTIVATION[$s]} in
      none) continue ;;
      firewall)
        # nftables.service loads /etc/nftables.conf on start and on reload; with no file left
        # (a restore to a host that had none) the previous state is an empty ruleset.
        if [ -e /etc/nftables.conf ]; then systemctl reload-or-restart nftables.service; else nft flush ruleset; fi ;;
      restart)
        for u in ${SERVICE_UNITS[$s]}; do systemctl restart "$u"; done
        verb=restarted ;;
      reload)
        for u in ${SERVICE_UNITS[$s]}; do
          [ -n "${WAS_ACTIVE[$u]:-}" ] || verb=started
          systemctl reload-or-restart "$u"
        done ;;
    esac
    # A failed step fails the activation once every service is through (a rollback restores them all).
    if [ -n "${SERVICE_AFTER_ACTIVATION[$s]}" ] && ! out=$(bash -c "${SERVICE_AFTER_ACTIVATION[$s]}" 2>&1 </dev/null); then
      say "$s: the step after its reload failed: ${out:-(no output)}" >&2
      failed=1
    fi
    for u in ${SERVICE_ENABLE[$s]}; do systemctl is-enabled --quiet "$u" 2>/dev/null || systemctl enable --quiet "$u"; done
    RELOADED+=("$s")
    audit "infrastructure.service.$verb" update service "$s" info "host-config service $2"
  done
  return $failed
}

tls_probe() { # PORT STARTTLS_PROTOCOL(or empty) SERVER_NAME
  local port=$1 proto=$2 name=$3 addr out args=()
  addr=$(ss -Hltn "sport = :$port" | awk 'NR == 1 { print $4 }')
  addr=${addr%:*}
  case $addr in "" | "*" | 0.0.0.0 | "[::]") addr=127.0.0.1 ;; esac
  [ -z "$proto" ] || args=(-starttls "$proto")
  out=$(timeout 15 openssl s_client -connect "$addr:$port" -servername "$name" "${args[@]}" -brief </dev/null 2>&1) || true
  grep -q '^CONNECTION ESTABLISHED' <<<"$out" || {
    say "TLS handshake on port $port failed: $(grep -v '^depth=\|^verify' <<<"$out" | head -3 | tr '\n' ' ')"
    return 1
  }
}

new_log_lines() { # SERVICE
  local f u args=()
  for f in ${SERVICE_LOG_FILES[$1]}; do
    [ -f "$f" ] || continue
    if [ "$(stat -c %s "$f")" -ge "${LOG_MARK[$f]:-0}" ]; then tail -c +"$((${LOG_MARK[$f]:-0} + 1))" "$f"; else cat "$f"; fi
  done
  for u in ${SERVICE_LOG_UNITS[$1]}; do args+=(-u "$u"); done
  if [ ${#args[@]} -gt 0 ] && [ -n "$journal_cursor" ]; then
    journalctl -q --no-pager -o short-iso --after-cursor "$journal_cursor" "${args[@]}" 2>/dev/null || true
  fi
}

# health_probes SERVICES MODE: the service table's probes of SERVICES, each retried until it passes
# or PROBE_SECONDS have gone by; in MODE "restored" only those that passed before the apply.
PROBE_SECONDS=20
health_probes() {
  local entry service name command out deadline=$((SECONDS + PROBE_SECONDS)) failed=0
  for entry in "${SERVICE_HEALTH_PROBES[@]}"; do
    IFS=$CHECK_FIELD_SEPARATOR read -r service name command <<<"$entry"
    [[ " $1 " == *" $service "* ]] || continue
    if [ "$2" != new ] && [ -z "${PRE_PROBES[$service/$name]:-}" ]; then continue; fi
    until out=$(timeout 30 bash -c "$command" 2>&1 </dev/null); do
      if [ $SECONDS -ge $deadline ]; then
        say "$service: not proven: $name:"
        say "${out:-(no output)}" | sed 's/^/    /'
        failed=1
        break
      fi
      sleep 1
    done
  done
  return $failed
}

# health SERVICES MODE: MODE "new" checks everything; "restored" checks that what answered before
# the apply answers again. Prints one line per problem and returns non-zero if there is any.
health() {
  local s u p probe proto name listening problems="" deadline=$((SECONDS + 30)) want=() missing=() lines
  for s in $1; do
    for p in ${SERVICE_PORTS[$s]}; do
      if [ "$2" = new ] || [ -n "${PRE_PORTS[$p]:-}" ]; then want+=("$p"); fi
    done
  done
  while :; do
    listening=$(listening_ports)
    missing=()
    for p in "${want[@]}"; do grep -qx "$p" <<<"$listening" || missing+=("$p"); done
    if [ ${#missing[@]} -eq 0 ] || [ $SECONDS -ge $deadline ]; then break; fi
    sleep 0.1
  done
  for p in "${missing[@]}"; do problems+="port $p is not listening"$'\n'; done
  for s in $1; do
    for u in ${SERVICE_UNITS[$s]}; do
      if [ "$2" = new ] || [ -n "${WAS_ACTIVE[$u]:-}" ]; then
        systemctl is-active --quiet "$u" || problems+="$u is $(systemctl is-active "$u" 2>/dev/null || true)"$'\n'
      fi
    done
    for probe in ${SERVICE_TLS_PROBES[$s]}; do
      IFS=/ read -r p proto name <<<"$probe"
      if [ "$2" = new ] || [ -n "${PRE_PORTS[$p]:-}" ]; then
        problems+=$(tls_probe "$p" "$proto" "$name")$'\n' || true
      fi
    done
  done
  problems+=$(health_probes "$1" "$2")$'\n' || true
  # The checks in the staged view saw new directories as the bundle stages them; the live ones may differ.
  if [ "$2" = new ] && [[ " $1 " == *" ssh "* ]]; then problems+=$(keys_admit_deployer)$'\n' || true; fi
  if [ "$2" = new ]; then
    sleep 0.5 # the mail log is written by postlogd, a moment after the event
    for s in $1; do
      [ -n "${SERVICE_BAD_LOG[$s]}" ] || continue
      lines=$(new_log_lines "$s" | grep -Ei -- "${SERVICE_BAD_LOG[$s]}" || true)
      if [ -n "$lines" ] && [ -n "${SERVICE_EXPECTED_LOG[$s]}" ]; then lines=$(grep -Eiv -- "${SERVICE_EXPECTED_LOG[$s]}" <<<"$lines" || true); fi
      [ -z "$lines" ] || problems+="$s logged after the reload:"$'\n'"$(head -20 <<<"$lines" | sed 's/^/    /')"$'\n'
    done
  fi
  problems=$(sed '/^$/d' <<<"$problems")
  [ -z "$problems" ] || { say "$problems"; return 1; }
}

changeset_json() {
  local path key value before="" after=""
  for path in "${CHANGED[@]}"; do
    json_str key "$path"
    value=null
    [ -z "${LIVE_SHA[$path]:-}" ] || json_str value "${LIVE_SHA[$path]}"
    before+="${before:+,}$key:$value"
    value=null
    if ! printf '%s\n' "${REMOVED[@]}" | grep -qx -- "$path"; then
      json_str value "${NEW_SHA[$path]:-$(sha256sum <"$bundle_dir/files$path" | cut -d' ' -f1)}"
    fi
    after+="${after:+,}$key:$value"
  done
  printf '{"before":{%s},"after":{%s}}' "$before" "$after"
}

rollback() { # REASON
  local problems
  set +e
  phase=rolling-back
  say "FAILED after going live; restoring the previous files: ${CHANGED[*]}" >&2
  say "$1" | sed 's/^/    /' >&2
  restore_backup
  mark_logs
  activate "${AFFECTED_ORDERED[*]}" restored >/dev/null 2>&1
  if problems=$(health "${AFFECTED_ORDERED[*]}" restored); then
    audit infrastructure.config.rolled_back update host-config "$bundle_hash" critical "host-config rollback ${AFFECTED_ORDERED[*]}" "$(changeset_json)"
    say "rolled back: the previous files are installed and what answered before answers again" >&2
    exit 4
  fi
  audit infrastructure.config.rollback_incomplete update host-config "$bundle_hash" critical "host-config rollback ${AFFECTED_ORDERED[*]}" "$(changeset_json)"
  say "rolled back the files, but the previous configuration does not answer either:" >&2
  say "$problems" | sed 's/^/    /' >&2
  exit 5
}

on_exit() {
  local rc=$?
  if [ $rc -ne 0 ] && [ "$phase" = live ]; then
    rollback "the apply stopped unexpectedly (exit $rc) after files went live"
  fi
}

# The installed manifest: what the next apply compares against to find files a bundle dropped.
record_installed() {
  [ -d "$STATE_DIR/installed" ] || install -d -m 0700 "$STATE_DIR/installed"
  cp "$bundle_dir/manifest.json" "$STATE_DIR/installed/.manifest.json.new"
  cp "$bundle_dir/manifest.tsv" "$STATE_DIR/installed/.manifest.tsv.new"
  mv -f "$STATE_DIR/installed/.manifest.tsv.new" "$STATE_DIR/installed/manifest.tsv"
  mv -f "$STATE_DIR/installed/.manifest.json.new" "$STATE_DIR/installed/manifest.json"
}

# On an unchanged host: a unit of the bundle that is not running (crashed, stopped by hand) is
# started; running ones are left alone.
ensure_running() {
  local s u i units=() owners=() states=()
  for s in $SERVICE_ORDER; do
    [ -n "${BUNDLE_SERVICES[$s]:-}" ] || continue
    for u in ${SERVICE_UNITS[$s]}; do units+=("$u") owners+=("$s"); done
  done
  [ ${#units[@]} -gt 0 ] || return 0
  mapfile -t states < <(systemctl is-active "${units[@]}" || true)
  for i in "${!units[@]}"; do
    [ "${states[$i]:-}" != active ] || continue
    systemctl start "${units[$i]}"
    audit infrastructure.service.started update service "${owners[$i]}" warning "host-config service"
    say "started ${units[$i]}, which was ${states[$i]:-unknown}"
  done
}

main() {
  [ -d "${AUDIT_LOG%/*}" ] || install -d -m 0750 -g adm "${AUDIT_LOG%/*}"
  [ -e "$AUDIT_LOG" ] || install -m 0640 -g adm /dev/null "$AUDIT_LOG"
  trap on_exit EXIT
  trap 'exit 143' TERM INT
  read_manifest
  verify_bundle
  ensure_packages
  prepare_host
  plan_changes
  if [ ${#CHANGED[@]} -eq 0 ]; then
    # Same files, maybe new scripts: the manifest of record follows the bundle either way.
    cmp -s "$bundle_dir/manifest.json" "$STATE_DIR/installed/manifest.json" 2>/dev/null || record_installed
    ensure_running
    audit infrastructure.config.unchanged view host-config "$bundle_hash" info "host-config"
    say "unchanged: bundle $bundle_hash is installed; nothing reloaded"
    return 0
  fi
  say "bundle $bundle_hash changes ${#CHANGED[@]} file(s) of: ${AFFECTED_ORDERED[*]}"
  stage_files
  [ -z "${AFFECTED[ssh]:-}" ] || record_deploy_keys
  validate_staged
  record_before
  backup_live
  phase=live
  install_changed
  mark_logs
  activate "${AFFECTED_ORDERED[*]}" applied
  local problems
  if ! problems=$(health "${AFFECTED_ORDERED[*]}" new); then rollback "$problems"; fi
  record_installed
  phase=finished
  audit infrastructure.config.applied update host-config "$bundle_hash" info "host-config ${AFFECTED_ORDERED[*]}" "$(changeset_json)"
  say "applied bundle $bundle_hash: ${#CHANGED[@]} file(s) changed; reloaded: ${RELOADED[*]:-nothing}"
}

trap '' HUP
if [ -n "$validate_only" ]; then
  read_manifest
  in_view_main
else
  main
fi

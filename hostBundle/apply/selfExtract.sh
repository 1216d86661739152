# selfExtract.sh: the body of host-bundle.sh, the one file CopyToRemote uploads. packHostBundle
# puts a header before it (shebang, tenant, STATE_DIR, STAGING_DIR) and the bundle after the
# __BUNDLE_DATA__ marker: its directory form as a base64 tar archive.
#
#   sudo bash host-bundle.sh [--expect-hash SHA256] [--deploy-source ADDRESS] [--deploy-auth FILE]
#
# The bundle carries private keys: the upload sits in a 0700 directory and unpacks only into
# root-only ones; the staged copy is removed when the apply ends, the upload once it applied.
set -euo pipefail
umask 077
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
: "${STATE_DIR:?}" "${STAGING_DIR:?}"

if [ "$(id -u)" -ne 0 ]; then
  echo "host bundle: run it as root (sudo bash $0)" >&2
  exit 2
fi
install -d -m 0700 "$STATE_DIR"

if [ -z "${PENGUINMAILS_APPLY_UNIT:-}" ]; then
  # The upload directory holds private keys: keep it the SSH user's alone, whatever happened to it.
  chmod go-rwx -- "$(dirname -- "$0")"
  # Apply as a transient unit: it finishes, or rolls back, even if this SSH session drops midway.
  copy="$STATE_DIR/incoming-bundle.sh"
  output="$STATE_DIR/apply-output.log"
  cp -- "$0" "$copy.new"
  mv -f -- "$copy.new" "$copy"
  : >"$output"
  # sudo knows who is deploying; the apply checks that the new sshd config still lets them in.
  systemd-run --quiet --wait --collect --unit="penguinmails-apply-$$" --setenv=PENGUINMAILS_APPLY_UNIT=1 \
    --property=StandardOutput="truncate:$output" /bin/bash "$copy" "$@" --deploy-user "${SUDO_USER:-}" &
  unit_client=$!
  # Stream the apply's lines as they come, so the deploy sees progress.
  tail -n +1 -s 0.1 -f --pid="$unit_client" -- "$output"
  rc=0
  wait "$unit_client" || rc=$?
  rm -f -- "$copy"
  # The upload holds private keys: once applied it has no use, so it does not stay in the admin's
  # home. After a failure it stays (in its 0700 directory) for the retry of the same bundle,
  # which Pulumi runs without uploading it again.
  if [ "$rc" -eq 0 ]; then rm -f -- "$0"; fi
  exit "$rc"
fi

exec 9>"$STATE_DIR/apply.lock"
flock -w 600 9 || { echo "host bundle: another apply is still running" >&2; exit 2; }
rm -rf -- "$STAGING_DIR"
install -d -m 0700 "$STAGING_DIR"
# umask 022 for the directories tar creates: the staging root stays 0700, and the tree below it
# mirrors the host, where the daemons must traverse them.
sed '1,/^__BUNDLE_DATA__$/d' "$0" | base64 -d | (umask 022 && tar -x -m -C "$STAGING_DIR")
rc=0
bash "$STAGING_DIR/apply.sh" "$STAGING_DIR" "$@" || rc=$?
rm -rf -- "$STAGING_DIR"
exit "$rc"

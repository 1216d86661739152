#!/usr/bin/env bash
# check-hosts.sh OUT_DIR: runs `npm run check -- <host> --json` on every tenant's mail host
# (`npm run fleet -- list --hosts`), CHECK_PARALLEL (default 8) at a time. Keeps each report as
# OUT_DIR/<stack>.json and writes OUT_DIR/summary.md: every host not at level ok, worst first.
# Sets alerts=N (hosts at alert, critical or unreachable, or whose check failed) and warnings=N in
# $GITHUB_OUTPUT, and the summary in $GITHUB_STEP_SUMMARY, where those are set.
# Exits 0 whatever the hosts say (the caller fails the run on alerts=N > 0 after keeping the
# reports); non-zero only when it could not check at all.
set -euo pipefail

out=${1:?usage: check-hosts.sh OUT_DIR}
parallel=${CHECK_PARALLEL:-8}
mkdir -p "$out"
npm run --silent fleet -- list --hosts >"$out/hosts.txt"

# One line "STACK HOST" in, OUT/STACK.json, .err and .exit out.
check_one() {
  local stack=$1 host=$2 code=0
  npm run --silent check -- "$host" --json >"$out/$stack.json" 2>"$out/$stack.err" || code=$?
  echo "$code" >"$out/$stack.exit"
}
export -f check_one
export out
# shellcheck disable=SC2016 # the positional parameters are the child shell's, from xargs
xargs -r -P "$parallel" -L 1 bash -c 'check_one "$1" "$2"' _ <"$out/hosts.txt"

# tools/check/levels.ts: the exit code is the index of the worst level; 64 is bad usage.
levels=(ok warning alert critical unreachable)
alerts=0
warnings=0
rows=()
while read -r stack host; do
  code=$(cat "$out/$stack.exit")
  if [ "$code" -lt "${#levels[@]}" ]; then level=${levels[$code]}; else level="check failed (exit $code)"; fi
  if [ "$code" -ge 2 ]; then alerts=$((alerts + 1)); elif [ "$code" -eq 1 ]; then warnings=$((warnings + 1)); fi
  if [ "$code" -ge 1 ]; then rows+=("$code|$stack|$host|$level"); fi
done <"$out/hosts.txt"
total=$(wc -l <"$out/hosts.txt")

{
  echo "### Certificate check of $total mail host(s)"
  echo
  echo "$alerts at alert level or worse, $warnings at warning."
  if [ "${#rows[@]}" -gt 0 ]; then
    echo
    echo "| stack | host | level |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1nr -k2,2 | while IFS='|' read -r _ stack host level; do
      echo "| $stack | $host | $level |"
    done
  fi
} >"$out/summary.md"

cat "$out/summary.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then printf 'alerts=%s\nwarnings=%s\n' "$alerts" "$warnings" >>"$GITHUB_OUTPUT"; fi

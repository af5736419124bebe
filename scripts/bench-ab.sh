#!/usr/bin/env bash
# bench-ab.sh — A/B two zerosmb server binaries with the same load client.
#
#   scripts/bench-ab.sh BIN_A BIN_B [SPEC...]
#
# SPEC is DIR:IO:CLIENTS[:s|:PROTECTION] (e.g. write:64K:1, read:1M:8:s for
# 3.0.2 CMAC signed, read:1M:1:gmac or write:1M:8:gcm128 for the 3.1.1 rows,
# which need a server that requires them: set ZEROSMB_AB_SERVE_ARGS, e.g.
# "--signing=required" or "--encrypt=required");
# default: read:64K:1 read:64K:8 write:64K:1 write:1M:1 write:64K:8.
# For each of 4 rounds it starts BIN_A, then BIN_B, on 127.0.0.1 over a
# 1 GiB file on /dev/shm and runs `zerosmb bench load --reps 3` per SPEC
# with BIN_B's load client, so every cell gets 12 runs. It prints, per
# SPEC, the median (min–max) server CPU s/GiB of A and B and B/A.
# Linux only; needs about 2 GiB of /dev/shm.
set -euo pipefail
a=$(realpath "$1") b=$(realpath "$2"); shift 2
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(read:64K:1 read:64K:8 write:64K:1 write:1M:1 write:64K:8)
work=$(mktemp -d /dev/shm/zerosmb-ab-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/share"
head -c 1G /dev/zero | tr '\0' 'z' > "$work/share/r.dat"
cp "$work/share/r.dat" "$work/share/w.dat"
echo ab-pass | "$b" user add --users "$work/users" ab >/dev/null 2>&1
port=$((20000 + RANDOM % 20000))
out="$work/runs.txt"
for round in 1 2 3 4; do
	for bin in "$a" "$b"; do
		# shellcheck disable=SC2086 # word splitting of the extra flags is intended
		"$bin" serve --listen "127.0.0.1:$port" --users "$work/users" --log-level warn ${ZEROSMB_AB_SERVE_ARGS:-} "$work/share" &
		pid=$!
		sleep 0.5
		for spec in "${specs[@]}"; do
			IFS=: read -r dir io cl sg <<<"$spec"
			args=(--io "$io" --clients "$cl" --reps 3 --server-pid "$pid" --file r.dat)
			[ "$dir" = write ] && args+=(--write --file w.dat)
			case "${sg:-}" in
			"") ;;
			s) args+=(--sign) ;;
			*) args+=(--protection "$sg") ;;
			esac
			echo ab-pass | "$b" bench load --addr "127.0.0.1:$port" --user ab "${args[@]}" |
				awk -v s="$spec" -v w="$([ "$bin" = "$a" ] && echo A || echo B)" '{print s, w, $(NF-1)}' >>"$out"
		done
		kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	done
done
awk '
function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
{ k = $1 SUBSEP $2; n[k]++; v[k, n[k]] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
END {
	print "| spec | A s/GiB | B s/GiB | B/A |"; print "|---|---|---|---|"
	for (i = 1; i <= m; i++) { s = order[i]
		for (w = 0; w < 2; w++) { x = w ? "B" : "A"; k = s SUBSEP x; c = n[k]; lo = 1e9; hi = 0
			for (j = 1; j <= c; j++) { t[j] = v[k, j]; if (t[j] < lo) lo = t[j]; if (t[j] > hi) hi = t[j] }
			r[x] = med(t, c); rng[x] = sprintf("%.3f (%.2f–%.2f)", r[x], lo, hi) }
		printf "| %s | %s | %s | %.2fx |\n", s, rng["A"], rng["B"], r["B"] / r["A"] }
}' "$out"

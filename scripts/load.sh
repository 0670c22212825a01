#!/usr/bin/env bash
# load.sh measures `leads serve` under load on PostgreSQL and on SQLite, and
# PostgreSQL alone (pgbench) running the re-save's statement and a first
# save's transaction, and tools/floor (an HTTP server that answers a get and
# a re-save with one statement each and nothing else), in one run so that
# the ratios compare like with like on a noisy machine.
#
#   scripts/load.sh                  # N=200000 leads, 32 clients, 15 s phases
#   N=20000 DURATION=5s scripts/load.sh
#   PROFILES=/tmp/profiles scripts/load.sh   # and a CPU profile of each phase
#
# Needs go, pgbench, createdb/dropdb and a PostgreSQL on 127.0.0.1:5432 that
# trusts user postgres; for the two-instance phases (SCALEOUT=0 skips them)
# also python3 and pgbouncer (Debian's /usr/sbin/pgbouncer, or $PGBOUNCER).
# Everything listens on 127.0.0.1. The database, the SQLite file and the
# servers it starts are removed on exit, even on failure.
# Results: one line per phase on stdout, then a summary table; the raw lines
# are also kept in $OUT (default: not kept).
set -euo pipefail

N=${N:-200000}
CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-15s}
# SCALEOUT=1: also two instances on one database, directly and through
# PgBouncer in transaction mode.
SCALEOUT=${SCALEOUT:-1}
# PROFILES=DIR: keep a CPU profile of the service during each phase of the
# single-instance configurations there (LABEL-PHASE.pprof, read with go tool
# pprof); profiling costs a few percent, so runs for the figures leave it out.
PROFILES=${PROFILES:-}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d -t leads-load.XXXXXX)
db=leads_load_$$
pg_url="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
sqlite_url="sqlite:$work/leads.db"
results=$work/results.txt
created_db=
servers=() # pids of the servers started here
bouncer=   # pid of the PgBouncer started here
gens=()    # pids of background load generators

# A fresh secret per run; the environment keeps it out of `ps`.
LEADS_JWT_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
export LEADS_JWT_SECRET
# The load comes from a few callers at thousands of requests a second: the
# rate limits (contract §10) are for people, not for this run.
export LEADS_RATE_LIMIT=off

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# stop_server PID: SIGTERM, then wait up to 30 s for the graceful shutdown.
stop_server() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "server $pid did not stop in 30 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || log "server $pid exited with status $?"
}

cleanup() {
	local pid i
	for pid in "${gens[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${servers[@]}"; do
		stop_server "$pid"
	done
	if [[ -n $bouncer ]]; then
		kill -INT "$bouncer" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$bouncer" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$bouncer" 2>/dev/null || true
		wait "$bouncer" 2>/dev/null || true
	fi
	if [[ -n $created_db ]]; then
		dropdb --if-exists --force "$db" || log "could not drop database $db"
	fi
	if [[ -n ${OUT:-} && -f $results ]]; then
		cp "$results" "$OUT"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME DATABASE_URL [DIRECT_URL]: starts the service on a free
# port of 127.0.0.1 and sets server_pid and server_url.
start_server() {
	local name=$1 url=$2 direct=${3:-} pprof=()
	server_pprof=
	if [[ -n $PROFILES && -z $direct ]]; then
		server_pprof=127.0.0.1:$(free_port)
		pprof=(--pprof-addr "$server_pprof")
	fi
	LEADS_DATABASE_DIRECT_URL=$direct "$work/leads" serve --addr 127.0.0.1:0 --database-url "$url" "${pprof[@]}" >"$work/$name.out" 2>"$work/$name.log" &
	server_pid=$!
	servers+=("$server_pid")
	await_server "$name"
}

# await_server NAME: waits for the server just started (server_pid, writing
# to $work/NAME.out and .log) to print its URL, and sets server_url.
await_server() {
	local name=$1 i
	for ((i = 0; i < 300; i++)); do
		server_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/$name.out" 2>/dev/null | head -1 || true)
		[[ -n $server_url ]] && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	log "server $name did not start:"
	tail -5 "$work/$name.log" >&2
	return 1
}

# free_port: a free TCP port of 127.0.0.1.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# stop PID: stops a server this script started and forgets it.
stop() {
	local pid=$1 p rest=()
	stop_server "$pid"
	for p in "${servers[@]}"; do
		[[ $p == "$pid" ]] || rest+=("$p")
	done
	servers=("${rest[@]}")
}

# peak PID: the process's peak resident set so far, in MiB.
peak() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# proc_cpu PID: the process's user+system CPU time so far, in clock ticks.
proc_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# machine_cpu: "busy total" CPU ticks of the whole machine so far.
machine_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

hz=$(getconf CLK_TCK)

# phase LABEL PHASE [ARGS]: one loadgen phase against server_url, then the
# server's peak RSS and where the CPU went: the server's own CPU time, and the
# machine's busy time (the rest is PostgreSQL, the load generator and
# whatever else runs on the machine).
phase() {
	local label=$1 ph=$2 s0 s1 m0 m1 prof=
	shift 2
	if [[ -n $server_pprof ]]; then
		# The phase's middle: from a second in to a second before its end.
		(sleep 1 && curl -sf -o "$PROFILES/$label-$ph.pprof" \
			"http://$server_pprof/debug/pprof/profile?seconds=$((${DURATION%s} - 2))") &
		prof=$!
	fi
	s0=$(proc_cpu "$server_pid")
	m0=$(machine_cpu)
	"$work/loadgen" -url "$server_url" -label "$label" -phase "$ph" -clients "$CLIENTS" "$@" | tee -a "$results"
	[[ -z $prof ]] || wait "$prof" || log "no profile of $label $ph"
	s1=$(proc_cpu "$server_pid")
	m1=$(machine_cpu)
	echo "rss label=$label phase=$ph peak_mib=$(peak "$server_pid")" | tee -a "$results"
	echo "$m0 $m1" | awk -v l="$label" -v p="$ph" -v s=$((s1 - s0)) -v hz="$hz" \
		'{ printf "cpu label=%s phase=%s server_cpu_s=%.2f machine_busy_s=%.2f machine_total_s=%.2f\n", l, p, s / hz, ($3 - $1) / hz, ($4 - $2) / hz }' |
		tee -a "$results"
}

# timed_phases LABEL DATABASE_URL: save, list, get and first saves on a fresh server, so
# its peak RSS is that of these phases, not of the seed.
timed_phases() {
	local label=$1
	start_server "$label" "$2"
	log "$label: save, list, get, first saves ($DURATION each, $CLIENTS clients)"
	phase "$label" save -duration "$DURATION" -n "$N"
	phase "$label" resave -duration "$DURATION" -n "$N"
	phase "$label" list -duration "$DURATION"
	phase "$label" page500 -duration "$DURATION"
	phase "$label" after500 -duration "$DURATION"
	phase "$label" get -duration "$DURATION"
	# Last, as it adds leads: first saves of new users.
	phase "$label" first -duration "$DURATION"
	if [[ ${3:-} == sub-only ]]; then
		# The same saves with tokens that carry only sub and role: what
		# checking a token's profile claims against the user record costs.
		phase "$label-sub-only-tokens" save -duration "$DURATION" -n "$N" -claims=false
	fi
	stop "$server_pid"
}

# floor_phases: the get and resave phases against tools/floor on the run's
# database: an HTTP server that answers them with one statement each through
# pgx and does nothing else, the least such a request costs on this machine,
# to read the service's CPU per request against.
floor_phases() {
	server_pprof=
	"$work/floor" -database-url "$pg_url" >"$work/floor.out" 2>"$work/floor.log" &
	server_pid=$!
	servers+=("$server_pid")
	await_server floor
	log "floor: get, resave ($DURATION each, $CLIENTS clients)"
	phase floor get -duration "$DURATION"
	phase floor resave -duration "$DURATION" -n "$N"
	stop "$server_pid"
}

# start_bouncer: PgBouncer in transaction mode on a free port of 127.0.0.1
# in front of the run's database; sets bouncer_url. It runs as postgres
# when this script runs as root (PgBouncer refuses root).
start_bouncer() {
	local port i dir=$work/pgbouncer
	port=$(free_port)
	mkdir -p "$dir"
	chmod 755 "$work" "$dir"
	printf '"%s" ""\n' "$PGUSER" >"$dir/users.txt"
	cat >"$dir/pgbouncer.ini" <<-INI
		[databases]
		* = host=$PGHOST port=$PGPORT
		[pgbouncer]
		listen_addr = 127.0.0.1
		listen_port = $port
		unix_socket_dir =
		auth_type = trust
		auth_file = $dir/users.txt
		pool_mode = transaction
		max_client_conn = 500
		default_pool_size = 20
	INI
	chmod 644 "$dir"/*
	local as=()
	[[ $(id -u) == 0 ]] && as=(-u postgres)
	"${PGBOUNCER:-/usr/sbin/pgbouncer}" "${as[@]}" "$dir/pgbouncer.ini" >"$dir/out.log" 2>&1 &
	bouncer=$!
	for ((i = 0; i < 100; i++)); do
		psql -qAtc 'SELECT 1' "postgres://$PGUSER@127.0.0.1:$port/$db" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ! kill -0 "$bouncer" 2>/dev/null || ! psql -qAtc 'SELECT 1' "postgres://$PGUSER@127.0.0.1:$port/$db" >/dev/null; then
		log "pgbouncer did not start:"
		cat "$dir/out.log" >&2
		return 1
	fi
	bouncer_url="postgres://$PGUSER@127.0.0.1:$port/$db?sslmode=disable"
}

# two_phases LABEL DATABASE_URL [DIRECT_URL]: save, resave, list and get
# against two fresh servers on one database, half the clients each, at the
# same time. One result line per phase: requests and rates summed, the worse
# p99, the mean of the two p50s, the two servers' CPU summed, the larger peak
# RSS.
two_phases() {
	local label=$1 url=$2 direct=${3:-} ph a_pid a_url b_pid b_url s0 s1 m0 m1 half=$((CLIENTS / 2))
	start_server "$label-a" "$url" "$direct"
	a_pid=$server_pid a_url=$server_url
	start_server "$label-b" "$url" "$direct"
	b_pid=$server_pid b_url=$server_url
	log "$label: two instances, save, resave, list, get, first saves ($DURATION each, $half clients each)"
	for ph in save resave list get first; do
		s0=$(($(proc_cpu "$a_pid") + $(proc_cpu "$b_pid")))
		m0=$(machine_cpu)
		"$work/loadgen" -url "$a_url" -label "$label" -phase "$ph" -clients "$half" -duration "$DURATION" -n "$N" >"$work/$label-a.txt" &
		local ga=$!
		"$work/loadgen" -url "$b_url" -label "$label" -phase "$ph" -clients "$half" -duration "$DURATION" -n "$N" >"$work/$label-b.txt" &
		local gb=$! ok=0
		gens+=("$ga" "$gb")
		wait "$ga" || ok=$?
		wait "$gb" || ok=$?
		s1=$(($(proc_cpu "$a_pid") + $(proc_cpu "$b_pid")))
		m1=$(machine_cpu)
		cat "$work/$label-a.txt" "$work/$label-b.txt" >&2
		if ((ok != 0)); then
			log "$label: $ph failed"
			return 1
		fi
		cat "$work/$label-a.txt" "$work/$label-b.txt" | awk -v c="$((2 * half))" '
			function field(name,   i) { for (i = 1; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
			{ req += field("requests"); rps += field("rps"); v = field("p99_ms") + 0; if (v > p99) p99 = v; p50 += field("p50_ms") / 2; err += field("errors"); cpu += field("loadgen_cpu_s"); ph = field("phase"); l = field("label") }
			END { printf "phase=%s label=%s clients=%d requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d loadgen_cpu_s=%.2f\n", ph, l, c, req, rps, p50, p99, err, cpu }' |
			tee -a "$results"
		a=$(peak "$a_pid") b=$(peak "$b_pid")
		echo "rss label=$label phase=$ph peak_mib=$(awk -v a="$a" -v b="$b" 'BEGIN { print (a > b ? a : b) }')" | tee -a "$results"
		echo "$m0 $m1" | awk -v l="$label" -v p="$ph" -v s=$((s1 - s0)) -v hz="$hz" \
			'{ printf "cpu label=%s phase=%s server_cpu_s=%.2f machine_busy_s=%.2f machine_total_s=%.2f\n", l, p, s / hz, ($3 - $1) / hz, ($4 - $2) / hz }' |
			tee -a "$results"
	done
	stop "$a_pid"
	stop "$b_pid"
}

# pgbench_run NAME SCRIPT: PostgreSQL alone running SCRIPT, $CLIENTS clients
# for $DURATION, -M prepared like pgx; writes the phase=pgbench-NAME and cpu
# lines (pgbench's own CPU time and the machine's).
pgbench_run() {
	local name=$1 script=$2 secs=${DURATION%s} m0 m1 tps failed
	m0=$(machine_cpu)
	# `times` prints the subshell's children's CPU time: pgbench's own.
	rm -f "$work"/pgbench.[0-9]*
	(cd "$work" && pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$secs" -l --log-prefix=pgbench -f "$script" "$db" && times) >"$work/pgbench.out" 2>&1 || {
		cat "$work/pgbench.out" >&2
		return 1
	}
	m1=$(machine_cpu)
	tps=$(awk '/^tps = / { print $3; exit }' "$work/pgbench.out")
	tail -1 "$work/pgbench.out" | awk -v m="$m0 $m1" -v hz="$hz" -v p="pgbench-$name" '
		function secs(t,   a) { split(t, a, /[ms]/); return a[1] * 60 + a[2] }
		{ split(m, c, " "); printf "cpu label=postgresql-alone phase=%s pgbench_cpu_s=%.2f machine_busy_s=%.2f machine_total_s=%.2f\n", p, secs($1) + secs($2), (c[3] - c[1]) / hz, (c[4] - c[2]) / hz }' |
		tee -a "$results"
	failed=$(awk '/number of failed transactions:/ { print $5; exit }' "$work/pgbench.out")
	# Per-transaction log: the third field is the latency in microseconds.
	cat "$work"/pgbench.[0-9]* | awk '{ print $3 }' | sort -n >"$work/pgbench.lat"
	awk -v tps="$tps" -v failed="${failed:-0}" -v c="$CLIENTS" -v p="pgbench-$name" '
		{ lat[NR] = $1 }
		END {
			p50 = lat[int(NR * 0.50) + 1]; p99 = lat[int(NR * 0.99) + 1]
			printf "phase=%s label=postgresql-alone clients=%d requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%s\n", p, c, NR, tps, p50 / 1000, p99 / 1000, failed
		}' "$work/pgbench.lat" | tee -a "$results"
}

# pgbench_resave: PostgreSQL alone running the statement of Save and Exit
# pressed again (Store.Resave: one UPDATE … RETURNING), as tools/loadgen's
# resave phase makes the service send it: `loadgen -pgbench-resave` renders
# schema.ResaveSQL for that phase's payload and claims, each value computed
# from the user's number, so the script follows the engine. Afterwards every
# one of those users' leads must have been written, or the statement
# matched nothing and the comparison is void.
pgbench_resave() {
	local script=$work/resave.sql users=$((N < 1000 ? N : 1000)) started written
	"$work/loadgen" -pgbench-resave -n "$N" >"$script"
	started=$(psql -qAtc 'SELECT now()' "$db")
	log "pgbench: the re-save's statement alone, $CLIENTS clients, $DURATION"
	pgbench_run resave "$script"
	written=$(psql -qAtc "SELECT count(*) FROM leads WHERE last_saved_at >= '$started' AND user_id IN (SELECT 'load-' || i FROM generate_series(0, $users - 1) AS i)" "$db")
	if ((written < users * 9 / 10)); then
		log "pgbench's statement wrote $written of $users leads: it does not match what the service saves"
		return 1
	fi
}

# pgbench_first: PostgreSQL alone running a first save's transaction, as the
# first phase makes the service send it: `loadgen -pgbench-first` makes one
# first save through the store with a tracer and writes down every
# statement, round trip by round trip (a pgbench pipeline each), for a new
# user each transaction. Every transaction must have written an assigned
# lead, or the comparison is void.
pgbench_first() {
	local script=$work/first.sql before after done
	"$work/loadgen" -pgbench-first -db "$pg_url" >"$script"
	before=$(psql -qAtc "SELECT count(*) FROM leads WHERE user_id LIKE 'pgbench-%' AND assigned_to IS NOT NULL" "$db")
	log "pgbench: a first save's transaction alone, $CLIENTS clients, $DURATION"
	pgbench_run first "$script"
	after=$(psql -qAtc "SELECT count(*) FROM leads WHERE user_id LIKE 'pgbench-%' AND assigned_to IS NOT NULL" "$db")
	done=$(awk '/number of transactions actually processed:/ { split($6, a, "/"); print a[1]; exit }' "$work/pgbench.out")
	if ((after - before < done || done == 0)); then
		log "pgbench's first saves wrote $((after - before)) assigned leads in $done transactions: they do not match what the service saves"
		return 1
	fi
}

# summary: one table row per service configuration from the result lines.
summary() {
	awk '
		function field(name,   i) { for (i = 1; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
		/^phase=pgbench-resave/ { pg = field("rps"); pgp50 = field("p50_ms"); pgp99 = field("p99_ms") }
		/^phase=pgbench-first/ { pgf = field("rps"); pgfp50 = field("p50_ms"); pgfp99 = field("p99_ms") }
		/^phase=(first|save|resave|list|page500|after500|get) / { l = field("label"); p = field("phase"); rps[l, p] = field("rps"); p50[l, p] = field("p50_ms"); p99[l, p] = field("p99_ms"); if (!(l in seen)) { seen[l] = 1; order[++n] = l } }
		/^rss / { l = field("label"); rss[l] = field("peak_mib") }
		/^phase=seed / { seed[field("label")] = field("rps") }
		/^phase=/ { l = field("label"); p = field("phase"); reqs[l, p] = field("requests"); rate[l, p] = field("rps"); if (field("loadgen_cpu_s") != "") gen[l, p] = field("loadgen_cpu_s") }
		/^cpu / { l = field("label"); p = field("phase"); cpuk[++nc] = l SUBSEP p; srv[l, p] = field("server_cpu_s"); busy[l, p] = field("machine_busy_s"); tot[l, p] = field("machine_total_s"); if (p ~ /^pgbench-/) gen[l, p] = field("pgbench_cpu_s") }
		END {
			printf "\n| configuration | first saves/s (p50/p99 ms) | saves/s (p50/p99 ms) | re-saves/s (p50/p99 ms) | lists/s (p50/p99 ms) | page 500/s (p50/p99 ms) | page 500 by after/s (p50/p99 ms) | gets/s (p50/p99 ms) | peak RSS MiB | first saves / PostgreSQL alone | re-saves / PostgreSQL alone |\n"
			printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
			for (i = 1; i <= n; i++) {
				l = order[i]
				printf "| %s | %s (%s/%s) | %s (%s/%s) | %s (%s/%s) | %s (%s/%s) | %s (%s/%s) | %s (%s/%s) | %s (%s/%s) | %s | %s | %s |\n", l,
					rps[l, "first"], p50[l, "first"], p99[l, "first"],
					rps[l, "save"], p50[l, "save"], p99[l, "save"], rps[l, "resave"], p50[l, "resave"], p99[l, "resave"],
					rps[l, "list"], p50[l, "list"], p99[l, "list"], rps[l, "page500"], p50[l, "page500"], p99[l, "page500"], rps[l, "after500"], p50[l, "after500"], p99[l, "after500"],
					rps[l, "get"], p50[l, "get"], p99[l, "get"], rss[l],
					(pgf > 0 && rps[l, "first"] > 0 ? sprintf("%.2f", rps[l, "first"] / pgf) : "-"),
					(pg > 0 && rps[l, "resave"] > 0 ? sprintf("%.2f", rps[l, "resave"] / pg) : "-")
			}
			printf "| PostgreSQL alone (pgbench: a first save'"'"'s transaction; the re-save'"'"'s statement) | %s (%s/%s) | | %s (%s/%s) | | | | | | 1 | 1 |\n", pgf, pgfp50, pgfp99, pg, pgp50, pgp99
			for (l in seed) printf "\nseed %s: %s saves/s (first saves, just-in-time users)", l, seed[l]
			printf "\n\nCPU time per request, ms:\n\n"
			printf "| configuration | phase | requests/s | leads | loadgen / pgbench | rest (PostgreSQL, other) | machine busy %% |\n|---|---|---|---|---|---|---|\n"
			for (k = 1; k <= nc; k++) {
				split(cpuk[k], kk, SUBSEP); l = kk[1]; p = kk[2]; r = reqs[l, p]
				if (r == 0) continue
				rest = busy[l, p] - srv[l, p] - gen[l, p]
				printf "| %s | %s | %s | %.3f | %.3f | %.3f | %.0f |\n", l, p, rate[l, p], 1000 * srv[l, p] / r, 1000 * gen[l, p] / r, 1000 * rest / r, 100 * busy[l, p] / tot[l, p]
			}
		}' "$results"
}

log "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(free -m | awk '/^Mem:/ { print $2 }') MiB"
log "$(go version); $(psql -tAc 'SELECT version()' postgres | cut -d, -f1)"
need=(go pgbench createdb dropdb psql)
((SCALEOUT)) && need+=(python3)
if [[ -n $PROFILES ]]; then
	need+=(python3 curl)
	[[ $DURATION =~ ^[0-9]+s$ ]] && ((${DURATION%s} >= 4)) || { log "PROFILES needs DURATION in seconds, 4s or more"; exit 1; }
	mkdir -p "$PROFILES" && PROFILES=$(cd "$PROFILES" && pwd)
fi
for c in "${need[@]}"; do
	command -v "$c" >/dev/null || { log "$c is missing"; exit 1; }
done
if ((SCALEOUT)) && [[ ! -x ${PGBOUNCER:-/usr/sbin/pgbouncer} ]]; then
	log "pgbouncer is missing (apt-get install pgbouncer, or SCALEOUT=0)"
	exit 1
fi
log "building leads and loadgen"
(cd "$root" && go build -o "$work/leads" ./cmd/leads && go build -o "$work/loadgen" ./tools/loadgen && go build -o "$work/floor" ./tools/floor)
createdb "$db"
created_db=1

# Both seeds run at once to keep the run short; their rates are a setup
# figure, not a measurement.
log "seeding $N leads into PostgreSQL and SQLite (at the same time)"
start_server seed-postgres "$pg_url"
pg_seed_pid=$server_pid pg_seed_url=$server_url
start_server seed-sqlite "$sqlite_url"
sq_seed_pid=$server_pid sq_seed_url=$server_url
"$work/loadgen" -url "$pg_seed_url" -label postgres -phase seed -n "$N" -clients "$CLIENTS" >"$work/seed-postgres.txt" &
pg_gen=$!
gens+=("$pg_gen")
"$work/loadgen" -url "$sq_seed_url" -label sqlite -phase seed -n "$N" -clients "$CLIENTS" >"$work/seed-sqlite.txt" &
sq_gen=$!
gens+=("$sq_gen")
seed_ok=0
wait "$pg_gen" || seed_ok=$?
wait "$sq_gen" || seed_ok=$?
cat "$work/seed-postgres.txt" "$work/seed-sqlite.txt" | tee -a "$results"
echo "rss label=seed-postgres phase=seed peak_mib=$(peak "$pg_seed_pid")" | tee -a "$results"
echo "rss label=seed-sqlite phase=seed peak_mib=$(peak "$sq_seed_pid")" | tee -a "$results"
stop "$sq_seed_pid"
stop "$pg_seed_pid"
if ((seed_ok != 0)); then
	log "seeding failed"
	exit 1
fi
# What autovacuum would have done after the seed: this machine's PostgreSQL
# runs with autovacuum off, and planner statistics from the empty table make
# statements planned afresh (behind PgBouncer, every one) sort thousands of
# rows where an index would do.
psql -qc 'VACUUM ANALYZE' "$db"

timed_phases sqlite "$sqlite_url"
timed_phases postgres-pool-default "$pg_url" sub-only
timed_phases postgres-pool-16 "$pg_url&pool_max_conns=16"
floor_phases
if ((SCALEOUT)); then
	two_phases postgres-two-instances "$pg_url"
	start_bouncer
	two_phases postgres-two-behind-pgbouncer "$bouncer_url" "$pg_url"
fi
pgbench_resave
pgbench_first

summary | tee -a "$results"
log "done"

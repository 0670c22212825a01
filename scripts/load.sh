#!/usr/bin/env bash
# load.sh measures `leads serve` under load on PostgreSQL and on SQLite, and
# PostgreSQL alone running the engine's save upsert (pgbench), in one run so
# that the ratios compare like with like on a noisy machine.
#
#   scripts/load.sh                  # N=200000 leads, 32 clients, 15 s phases
#   N=20000 DURATION=5s scripts/load.sh
#
# Needs go, pgbench, createdb/dropdb and a PostgreSQL on 127.0.0.1:5432 that
# trusts user postgres. Everything listens on 127.0.0.1. The database, the
# SQLite file and the servers it starts are removed on exit, even on failure.
# Results: one line per phase on stdout, then a summary table; the raw lines
# are also kept in $OUT (default: not kept).
set -euo pipefail

N=${N:-200000}
CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-15s}
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
	local pid
	for pid in "${gens[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${servers[@]}"; do
		stop_server "$pid"
	done
	if [[ -n $created_db ]]; then
		dropdb --if-exists "$db" || log "could not drop database $db"
	fi
	if [[ -n ${OUT:-} && -f $results ]]; then
		cp "$results" "$OUT"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME DATABASE_URL: starts the service on a free port of
# 127.0.0.1 and sets server_pid and server_url.
start_server() {
	local name=$1 url=$2 i
	"$work/leads" serve --addr 127.0.0.1:0 --database-url "$url" >"$work/$name.out" 2>"$work/$name.log" &
	server_pid=$!
	servers+=("$server_pid")
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
	local label=$1 ph=$2 s0 s1 m0 m1
	shift 2
	s0=$(proc_cpu "$server_pid")
	m0=$(machine_cpu)
	"$work/loadgen" -url "$server_url" -label "$label" -phase "$ph" -clients "$CLIENTS" "$@" | tee -a "$results"
	s1=$(proc_cpu "$server_pid")
	m1=$(machine_cpu)
	echo "rss label=$label phase=$ph peak_mib=$(peak "$server_pid")" | tee -a "$results"
	echo "$m0 $m1" | awk -v l="$label" -v p="$ph" -v s=$((s1 - s0)) -v hz="$hz" \
		'{ printf "cpu label=%s phase=%s server_cpu_s=%.2f machine_busy_s=%.2f machine_total_s=%.2f\n", l, p, s / hz, ($3 - $1) / hz, ($4 - $2) / hz }' |
		tee -a "$results"
}

# timed_phases LABEL DATABASE_URL: save, list and get on a fresh server, so
# its peak RSS is that of these phases, not of the seed.
timed_phases() {
	local label=$1
	start_server "$label" "$2"
	log "$label: save, list, get ($DURATION each, $CLIENTS clients)"
	phase "$label" save -duration "$DURATION" -n "$N"
	phase "$label" list -duration "$DURATION"
	phase "$label" get -duration "$DURATION"
	if [[ ${3:-} == sub-only ]]; then
		# The same saves with tokens that carry only sub and role: what
		# checking a token's profile claims against the user record costs.
		phase "$label-sub-only-tokens" save -duration "$DURATION" -n "$N" -claims=false
	fi
	stop "$server_pid"
}

# pgbench_save: PostgreSQL alone running the engine's save upsert, the SQL
# copied from internal/postgres/leads.go at run time, its parameters drawn per
# transaction: a random seeded user (who keeps their centre), a course, a step;
# the guide's full payload. -M prepared, like pgx.
pgbench_save() {
	local src=$root/internal/postgres/leads.go script=$work/save.sql
	local cols save
	cols=$(awk '/^const leadColumns = `/ { on = 1; sub(/.*= `/, "") } on { print } on && /`$/ { exit }' "$src" | tr -d '`')
	save=$(awk '/^const saveSQL = `/ { on = 1; next } on && /^RETURNING ` \+ leadColumns/ { exit } on { print }' "$src")
	if [[ -z $cols || -z $save || $save != *"ON CONFLICT (user_id) DO UPDATE"* ]]; then
		log "could not find saveSQL and leadColumns in $src"
		return 1
	fi
	{
		echo "\\set uid random(0, $((N - 1)))"
		# A user keeps their centre (uid % 4, as tools/loadgen does); the
		# course is any of the catalogue's.
		echo '\set c :uid % 4 + 1'
		echo '\set k random(1, 10)'
		echo '\set step random(1, 3)'
		echo '\set house random(1, 200)'
		printf '%s\nRETURNING %s;\n' "$save" "$cols" | sed \
			-e 's/\$16/now()/g' \
			-e "s/\\\$15/'onboarding_save_and_exit'/g" \
			-e 's/\$14/:step/g' \
			-e "s/\\\$13/(:house || ' Allen Avenue, Ikeja')/g" \
			-e "s/\\\$12/('guardian.' || :uid || '@example.com')/g" \
			-e "s/\\\$11/'08012345678'/g" \
			-e "s/\\\$10/'Ngozi Okafor'/g" \
			-e 's/\$9/true/g' \
			-e "s/\\\$8/(ARRAY['Digital Marketing Course','Web Development','Fashion Design','Digital Marketing Course','Web Development','Solar Installation','Fashion Design','Solar Installation','Web Development','Solar Installation'])[:k]/g" \
			-e "s/\\\$7/(ARRAY['abuja-digital-marketing','abuja-web-development','abuja-fashion-design','lagos-digital-marketing','lagos-web-development','lagos-solar-installation','kano-fashion-design','kano-solar-installation','port-harcourt-web-development','port-harcourt-solar-installation'])[:k]/g" \
			-e "s/\\\$6/(:house || ' Aminu Kano Crescent, Wuse 2')/g" \
			-e "s/\\\$5/(ARRAY['Abuja Center','Lagos Center','Kano Center','Port Harcourt Center'])[:c]/g" \
			-e "s/\\\$4/(ARRAY['abuja-center','lagos-center','kano-center','port-harcourt-center'])[:c]/g" \
			-e "s/\\\$3/(ARRAY['fct-abuja','lagos','kano','rivers'])[:c]/g" \
			-e "s/\\\$2/('load-' || :uid)/g" \
			-e 's/\$1/gen_random_uuid()/g'
	} >"$script"
	if grep -q '\$[0-9]' "$script"; then
		log "unsubstituted parameter in $script"
		return 1
	fi
	local secs=${DURATION%s} m0 m1
	log "pgbench: the save upsert alone, $CLIENTS clients, ${secs}s"
	m0=$(machine_cpu)
	# `times` prints the subshell's children's CPU time: pgbench's own.
	(cd "$work" && pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$secs" -l --log-prefix=pgbench -f "$script" "$db" && times) >"$work/pgbench.out" 2>&1 || {
		cat "$work/pgbench.out" >&2
		return 1
	}
	m1=$(machine_cpu)
	local tps failed
	tps=$(awk '/^tps = / { print $3; exit }' "$work/pgbench.out")
	tail -1 "$work/pgbench.out" | awk -v m="$m0 $m1" -v hz="$hz" '
		function secs(t,   a) { split(t, a, /[ms]/); return a[1] * 60 + a[2] }
		{ split(m, c, " "); printf "cpu label=postgresql-alone phase=pgbench-save pgbench_cpu_s=%.2f machine_busy_s=%.2f machine_total_s=%.2f\n", secs($1) + secs($2), (c[3] - c[1]) / hz, (c[4] - c[2]) / hz }' |
		tee -a "$results"
	failed=$(awk '/number of failed transactions:/ { print $5; exit }' "$work/pgbench.out")
	# Per-transaction log: the third field is the latency in microseconds.
	cat "$work"/pgbench.[0-9]* | awk '{ print $3 }' | sort -n >"$work/pgbench.lat"
	awk -v tps="$tps" -v failed="${failed:-0}" -v c="$CLIENTS" '
		{ lat[NR] = $1 }
		END {
			p50 = lat[int(NR * 0.50) + 1]; p99 = lat[int(NR * 0.99) + 1]
			printf "phase=pgbench-save label=postgresql-alone clients=%d requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%s\n", c, NR, tps, p50 / 1000, p99 / 1000, failed
		}' "$work/pgbench.lat" | tee -a "$results"
}

# summary: one table row per service configuration from the result lines.
summary() {
	awk '
		function field(name,   i) { for (i = 1; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
		/^phase=pgbench-save/ { pg = field("rps"); pgp50 = field("p50_ms"); pgp99 = field("p99_ms") }
		/^phase=(save|list|get) / { l = field("label"); p = field("phase"); rps[l, p] = field("rps"); p50[l, p] = field("p50_ms"); p99[l, p] = field("p99_ms"); if (!(l in seen)) { seen[l] = 1; order[++n] = l } }
		/^rss / { l = field("label"); rss[l] = field("peak_mib") }
		/^phase=seed / { seed[field("label")] = field("rps") }
		/^phase=/ { l = field("label"); p = field("phase"); reqs[l, p] = field("requests"); rate[l, p] = field("rps"); if (field("loadgen_cpu_s") != "") gen[l, p] = field("loadgen_cpu_s") }
		/^cpu / { l = field("label"); p = field("phase"); cpuk[++nc] = l SUBSEP p; srv[l, p] = field("server_cpu_s"); busy[l, p] = field("machine_busy_s"); tot[l, p] = field("machine_total_s"); if (p == "pgbench-save") gen[l, p] = field("pgbench_cpu_s") }
		END {
			printf "\n| configuration | saves/s (p50/p99 ms) | lists/s (p50/p99 ms) | gets/s (p50/p99 ms) | peak RSS MiB | saves / PostgreSQL alone |\n"
			printf "|---|---|---|---|---|---|\n"
			for (i = 1; i <= n; i++) {
				l = order[i]
				printf "| %s | %s (%s/%s) | %s (%s/%s) | %s (%s/%s) | %s | %s |\n", l,
					rps[l, "save"], p50[l, "save"], p99[l, "save"], rps[l, "list"], p50[l, "list"], p99[l, "list"],
					rps[l, "get"], p50[l, "get"], p99[l, "get"], rss[l], (pg > 0 ? sprintf("%.2f", rps[l, "save"] / pg) : "-")
			}
			printf "| PostgreSQL alone (pgbench, same upsert) | %s (%s/%s) | | | | 1 |\n", pg, pgp50, pgp99
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
log "building leads and loadgen"
(cd "$root" && go build -o "$work/leads" ./cmd/leads && go build -o "$work/loadgen" ./tools/loadgen)
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

timed_phases sqlite "$sqlite_url"
timed_phases postgres-pool-default "$pg_url" sub-only
timed_phases postgres-pool-16 "$pg_url&pool_max_conns=16"
pgbench_save

summary | tee -a "$results"
log "done"

#!/usr/bin/env bash
# make test-cluster: a single-node Slurm cluster on localhost (munged, slurmctld, slurmd started
# and stopped here by pid, a generated slurm.conf), a 16-task `skelreport submit --slurm` of the
# bundled reports, and the site compared byte for byte with a one-process --reproducible build.
# Then a second run with one task cancelled mid-way (scancel) that resubmits only the missing units.
# Not part of `make test`; needs root (the daemons run as root with their state in a temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${SKELREPORT_BIN:-$PWD/.build/release/skelreport}"
REPORTS="$PWD/reports"
T="$(mktemp -d /tmp/skel-cluster.XXXXXX)"
HOST="$(hostname -s)"
PIDS=()
TIMES=()
# minutes to wait for the queue to drain (each run); a loaded 2-core machine is slow
WAIT_MINUTES="${WAIT_MINUTES:-40}"
log() { printf '[test-cluster %s] %s\n' "$(date +%T)" "$*"; }
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }
stop() {
  # jobs first (their slurmstepd processes are not the daemons' children once started), then
  # the daemons in the reverse order of their start, each by its pid
  if [ -n "${SLURM_CONF:-}" ] && [ "${#PIDS[@]}" -ge 2 ]; then scancel --quiet "--user=$(id -un)" 2>/dev/null || true; sleep 1; fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    p="${PIDS[$i]}"
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  log "daemons stopped${KEEP:+; state and logs in $T}"
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
KEEP=1
trap stop EXIT

# --- munge, with its own key, socket and files under $T
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log"
chmod 700 "$T/munge"
mungekey --create --keyfile="$T/munge/munge.key" --force
chmod 400 "$T/munge/munge.key"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" --pid-file="$T/munge/munged.pid" \
  --log-file="$T/log/munged.log" --seed-file="$T/munge/munged.seed"
for _ in $(seq 50); do [ -s "$T/munge/munged.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$T/munge/munged.pid")")

# --- slurm.conf: one node (this machine), every daemon as root, no accounting, no cgroups
CPUS="$(nproc)"
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
export SLURM_CONF="$T/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=skeltest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -f "$SLURM_CONF" > "$T/log/slurmctld.out" 2>&1 &
PIDS+=("$!")
slurmd -D -f "$SLURM_CONF" > "$T/log/slurmd.out" 2>&1 &
PIDS+=("$!")
for i in $(seq 100); do
  state="$(sinfo -h -o %t 2>/dev/null || true)"
  [ "$state" = idle ] && break
  [ "$i" = 100 ] && { log "the node did not come up ($state)"; tail -20 "$T"/log/*.log; exit 1; }
  sleep 0.3
done
log "cluster up: node $HOST, $CPUS CPUs, ${MEM_MB} MB"

# Waits (bounded) until no job of ours is queued or running.
wait_queue() {
  for _ in $(seq $((WAIT_MINUTES * 120))); do
    [ -z "$(squeue -h -o %i 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  log "jobs still queued after $WAIT_MINUTES minutes"; squeue; return 1
}

# --- reference: one process
start=$(now)
"$BIN" build "$REPORTS" --out "$T/site-ref" --cache-dir "$T/cache-ref" --reproducible -q
TIMES+=("one-process build: $(since "$start") s")
log "one-process build done in $(since "$start") s"

# --- run 1: 16 tasks and the gather job
start=$(now)
cd "$T"
"$BIN" submit "$REPORTS" --slurm --shards 16 --out "$T/site-1" --cache-dir "$T/cache-1" --jobs-dir "$T/jobs-1" --reproducible > "$T/submit-1.txt"
grep -E 'units: [0-9]+ in the cache|job array|gather job' "$T/submit-1.txt"
grep -q ' to compute in 16 tasks' "$T/submit-1.txt" || { log "run 1: not 16 tasks"; exit 1; }
wait_queue
TIMES+=("run 1, 16-task array + gather job: $(since "$start") s")
[ -f "$T/site-1/index.html" ] || { log "run 1: the gather job wrote no site"; cat "$T/jobs-1/skelreport-gather.log" || true; exit 1; }
diff -r "$T/site-ref" "$T/site-1" > "$T/diff-1.txt" || { log "run 1: the site differs from the one-process build"; head -40 "$T/diff-1.txt"; exit 1; }
log "run 1: 16-task array + gather in $(since "$start") s; site byte-identical to the one-process build"

# --- run 2: one task cancelled while it runs, then the same command resubmits the missing units
start=$(now)
"$BIN" submit "$REPORTS" --slurm --shards 16 --out "$T/site-2" --cache-dir "$T/cache-2" --jobs-dir "$T/jobs-2" --reproducible -q > "$T/submit-2.txt"
array=$(sed -n 's/^submitted the units as job array \([0-9]*\).*/\1/p' "$T/submit-2.txt")
cancelled=""
# a task that has run for 2 s or more (mid-way: past reading the reports), else after a minute any running one
for i in $(seq 1200); do
  least=2; [ "$i" -gt 600 ] && least=0
  running=$(squeue -h -j "$array" -t RUNNING -o '%i %M' 2>/dev/null \
    | awk -v least="$least" '$1 ~ /_/ { n = split($2, a, ":"); s = a[n] + 60 * a[n - 1]; if (s >= least) { print $1; exit } }' || true)
  if [ -n "$running" ]; then scancel "$running"; cancelled="$running"; break; fi
  sleep 0.1
done
[ -n "$cancelled" ] || { log "run 2: no task was seen running to cancel"; exit 1; }
log "run 2: cancelled task $cancelled while it ran"
task_log="$T/jobs-2/skelreport-units-${cancelled#*_}.log"
# the gather job now waits on a dependency that can never be satisfied: cancel it too
for _ in $(seq $((WAIT_MINUTES * 120))); do
  left=$( (squeue -h -o '%i %r' | grep -v DependencyNeverSatisfied || true) | wc -l)
  [ "$left" = 0 ] && break
  sleep 0.5
done
scancel --name=skelreport-gather || true
wait_queue
TIMES+=("run 2, the array with task $cancelled cancelled, until the queue drained: $(since "$start") s")
[ ! -e "$T/site-2" ] || { log "run 2: a site was written although a task was cancelled"; exit 1; }
log "run 2: task $cancelled had computed $(grep -c ' computed in ' "$task_log" || true) unit(s) when it was cancelled: $(grep -m1 -o 'CANCELLED.*' "$task_log" || echo 'no CANCELLED line')"
start=$(now)
"$BIN" submit "$REPORTS" --slurm --shards 16 --out "$T/site-2" --cache-dir "$T/cache-2" --jobs-dir "$T/jobs-2" --reproducible > "$T/resubmit-2.txt"
grep -E 'units: [0-9]+ in the cache' "$T/resubmit-2.txt"
total=$(sed -n 's/^\([0-9]*\) units: .*/\1/p' "$T/resubmit-2.txt")
todo=$(sed -n 's/.* in the cache, \([0-9]*\) to compute.*/\1/p' "$T/resubmit-2.txt")
{ [ "$todo" -ge 1 ] && [ "$todo" -lt "$total" ]; } || { log "run 2: expected only the missing units, got $todo of $total"; exit 1; }
wait_queue
TIMES+=("run 2, resubmission of $todo of $total units + gather job: $(since "$start") s")
[ -f "$T/site-2/index.html" ] || { log "run 2: the gather job wrote no site"; cat "$T/jobs-2/skelreport-gather.log" || true; exit 1; }
diff -r "$T/site-ref" "$T/site-2" > "$T/diff-2.txt" || { log "run 2: the site differs from the one-process build"; head -40 "$T/diff-2.txt"; exit 1; }
log "run 2: resubmitted $todo of $total units; site byte-identical to the one-process build"
log "passed (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for t in "${TIMES[@]}"; do log "time: $t"; done
KEEP=""

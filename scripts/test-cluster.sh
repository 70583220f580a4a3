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
log() { printf '[test-cluster %s] %s\n' "$(date +%T)" "$*"; }
stop() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -9 "$p" 2>/dev/null || true; done
  log "daemons stopped; state in $T"
}
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
SlurmctldHost=$HOST
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
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
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
  for _ in $(seq 1200); do
    [ -z "$(squeue -h -o %i 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  log "jobs still queued after 10 minutes"; squeue; return 1
}

# --- reference: one process
"$BIN" build "$REPORTS" --out "$T/site-ref" --cache-dir "$T/cache-ref" --reproducible -q
log "one-process build done"

# --- run 1: 16 tasks and the gather job
start=$(date +%s.%N)
cd "$T"
"$BIN" submit "$REPORTS" --slurm --shards 16 --out "$T/site-1" --cache-dir "$T/cache-1" --jobs-dir "$T/jobs-1" --reproducible -q
wait_queue
end=$(date +%s.%N)
[ -f "$T/site-1/index.html" ] || { log "run 1: the gather job wrote no site"; cat "$T/jobs-1/skelreport-gather.log" || true; exit 1; }
diff -r "$T/site-ref" "$T/site-1" > "$T/diff-1.txt" || { log "run 1: the site differs from the one-process build"; head -40 "$T/diff-1.txt"; exit 1; }
log "run 1: 16-task array + gather in $(echo "$end - $start" | bc) s; site byte-identical to the one-process build"

# --- run 2: one task cancelled while it runs, then the same command resubmits the missing units
"$BIN" submit "$REPORTS" --slurm --shards 16 --out "$T/site-2" --cache-dir "$T/cache-2" --jobs-dir "$T/jobs-2" --reproducible -q > "$T/submit-2.txt"
array=$(sed -n 's/^submitted the units as job array \([0-9]*\).*/\1/p' "$T/submit-2.txt")
cancelled=""
for _ in $(seq 600); do
  running=$(squeue -h -j "$array" -t RUNNING -o %i 2>/dev/null | grep '_' | head -1 || true)
  if [ -n "$running" ]; then scancel "$running"; cancelled="$running"; break; fi
  sleep 0.05
done
[ -n "$cancelled" ] || { log "run 2: no task was seen running to cancel"; exit 1; }
log "run 2: cancelled task $cancelled while it ran"
# the gather job now waits on a dependency that can never be satisfied: cancel it too
for _ in $(seq 1200); do
  left=$( (squeue -h -o '%i %r' | grep -v DependencyNeverSatisfied || true) | wc -l)
  [ "$left" = 0 ] && break
  sleep 0.5
done
scancel --name=skelreport-gather || true
wait_queue
[ ! -e "$T/site-2" ] || { log "run 2: a site was written although a task was cancelled"; exit 1; }
"$BIN" submit "$REPORTS" --slurm --shards 16 --out "$T/site-2" --cache-dir "$T/cache-2" --jobs-dir "$T/jobs-2" --reproducible > "$T/resubmit-2.txt"
grep -E 'units: [0-9]+ in the cache' "$T/resubmit-2.txt"
total=$(sed -n 's/^\([0-9]*\) units: .*/\1/p' "$T/resubmit-2.txt")
todo=$(sed -n 's/.* in the cache, \([0-9]*\) to compute.*/\1/p' "$T/resubmit-2.txt")
{ [ "$todo" -ge 1 ] && [ "$todo" -lt "$total" ]; } || { log "run 2: expected only the missing units, got $todo of $total"; exit 1; }
wait_queue
diff -r "$T/site-ref" "$T/site-2" > "$T/diff-2.txt" || { log "run 2: the site differs from the one-process build"; head -40 "$T/diff-2.txt"; exit 1; }
log "run 2: resubmitted $todo of $total units; site byte-identical to the one-process build"
log "passed"
rm -rf "$T"

#!/usr/bin/env bash
# A one-node SLURM cluster on loopback, for trying the SLURM profile and for the
# test suite. Debian 12, as root, no systemd.
#
#   tests/slurm/local_slurm.sh start STATE_DIR   # install if needed, start, wait until idle
#   tests/slurm/local_slurm.sh stop STATE_DIR    # stop the daemons it started, by PID
#
# State lives in STATE_DIR (spool, logs, PID files). The config goes to the
# standard /etc/slurm/slurm.conf, because job steps (srun inside a batch job)
# read it from there; an existing config that this script did not write is never
# touched: start refuses instead. There is no accounting database, so run
# snakemake with --slurm-status-command squeue.
#
# Two partitions share the node: cpu (the default) and gpu. The node counts one GPU
# (a generic resource with no device behind it), so a job that asks for --gpus=1 is
# scheduled on the gpu partition as on a real cluster, and runs on the CPU (device
# auto finds no CUDA). tests/slurm/partitions.yaml describes both for the profile.
set -euo pipefail
cmd=${1:?start or stop}
state=$(realpath -m "${2:?state directory}")
MARK="# written by superposition tests/slurm/local_slurm.sh"

start() {
  local pkgs="slurmctld slurmd slurm-client munge"
  if ! dpkg -s $pkgs >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq
    timeout 300 apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  fi
  mkdir -p "$state"/{spool/ctld,spool/d,log} /run/munge
  chown munge:munge /run/munge
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    cp /run/munge/munged.pid "$state/munged.pid"  # ours to stop
    for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 2048 ))
  local conf=/etc/slurm/slurm.conf f
  for f in $conf /etc/slurm/gres.conf; do
    if [[ -e $f ]] && ! grep -q "^$MARK" "$f"; then
      echo "$f exists and was not written by $0; not touching a real cluster's config" >&2
      exit 3
    fi
  done
  mkdir -p /etc/slurm
  cat > "$conf" <<CONF
$MARK
ClusterName=local
SlurmctldHost=localhost(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=3600
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
CONF
  printf '%s\nNodeName=localhost Name=gpu File=/dev/null\n' "$MARK" > /etc/slurm/gres.conf
  /usr/sbin/slurmctld
  /usr/sbin/slurmd -N localhost
  for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && { echo "SLURM up (state in $state)"; return; }
    sleep 0.5
  done
  echo "SLURM did not become idle; see $state/log" >&2
  stop
  exit 1
}

stop() {
  for name in slurmd slurmctld munged; do
    local f="$state/$name.pid"
    [[ -s $f ]] || continue
    local pid
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
    echo "stopped $name ($pid)"
  done
  for conf in /etc/slurm/slurm.conf /etc/slurm/gres.conf; do
    if grep -q "^$MARK" "$conf" 2>/dev/null; then rm -f "$conf"; fi
  done
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env python3
"""CPU time per thread name of a process over a window (docs/performance.md, "Where a
participant's time goes"): scripts/thread-cpu.py PID SECONDS. Reads /proc/PID/task/*/stat."""
import os, sys, time, collections
pid, window = sys.argv[1], float(sys.argv[2])
tck = os.sysconf('SC_CLK_TCK')
def snap():
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            comm = open(f'/proc/{pid}/task/{tid}/comm').read().strip()
            st = open(f'/proc/{pid}/task/{tid}/stat').read()
            f = st[st.rindex(')') + 2:].split()
            out[tid] = (comm, (int(f[11]) + int(f[12])) / tck)
        except OSError:
            pass
    return out
a = snap(); t0 = time.time(); time.sleep(window); b = snap(); dt = time.time() - t0
agg = collections.defaultdict(lambda: [0.0, 0])
for tid, (comm, cpu) in b.items():
    base = a.get(tid, (comm, 0.0))[1]
    key = comm.rstrip('0123456789:') if comm.startswith(('queue', 'nicesrc')) else comm
    agg[key][0] += cpu - base; agg[key][1] += 1
total = sum(v[0] for v in agg.values())
print(f'window {dt:.1f} s, total {100*total/dt:.1f} % of a core')
for k, (cpu, n) in sorted(agg.items(), key=lambda kv: -kv[1][0])[:25]:
    print(f'{k:28s} threads {n:3d}  {100*cpu/dt:6.1f} %  ({cpu:.2f} s)')
print('top single threads:')
single = sorted(((cpu - a.get(tid, (c, 0.0))[1], c, tid) for tid, (c, cpu) in b.items()), reverse=True)[:8]
for cpu, c, tid in single:
    print(f'  {c:24s} tid {tid}  {100*cpu/dt:6.1f} %')

// Preloaded (`node -r`) by the bench's CPU measurements: at exit, prints the process's own CPU time
// (user + system, ms) on stderr as `@@cpu <ms> <ms after bootstrap>`: the whole process, and what it
// used after Node's bootstrap (from this preload on), which leaves out the start-up every node
// process pays and whose variance, on a shared machine, can exceed the CLI's own cost. Load on a
// shared machine stretches wall time far more than the CPU a process needs; these are the load-robust
// figures beside the wall-clock rows.
const start = process.cpuUsage();
process.on('exit', () => {
  const r = process.resourceUsage();
  const after = process.cpuUsage(start);
  require('node:fs').writeSync(
    2,
    `@@cpu ${(r.userCPUTime + r.systemCPUTime) / 1000} ${(after.user + after.system) / 1000}\n`,
  );
});

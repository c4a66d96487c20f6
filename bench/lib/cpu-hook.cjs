// Preloaded (`node -r`) by the bench's CPU measurements: at exit, prints the process's own CPU time
// (user + system, ms) on stderr as `@@cpu <ms>`. Load on a shared machine stretches wall time far more
// than the CPU a process needs; this is the load-robust figure beside the wall-clock rows.
process.on('exit', () => {
  const r = process.resourceUsage();
  require('node:fs').writeSync(2, `@@cpu ${(r.userCPUTime + r.systemCPUTime) / 1000}\n`);
});

// Preloaded (node --require) into the API when BENCH_API_CPU_PROF asks for a CPU profile: V8 writes
// a --cpu-prof profile only when the process exits, and on SIGTERM Nest closes the application and
// then raises the signal again with its own listener gone, which would kill the process before the
// profile is written. This listener, registered before Nest's, makes that second SIGTERM a normal
// exit (and the first one too, should Nest's close take more than 4 s).
let signals = 0;
process.on('SIGTERM', () => {
  if (++signals > 1) process.exit(0);
  setTimeout(() => process.exit(0), 4000).unref();
});

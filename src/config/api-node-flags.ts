/**
 * V8 flags the API process runs with (scripts/start.sh reads them from the build, and the e2e
 * harness and the benches pass them too). V8 sizes its heap for the machine (24 GiB here) and lets garbage pile up; a
 * small young generation and an explicit old-space limit make it collect eagerly, so the idle API
 * and an Excel export of 10,000 tunnels stay near 140 MiB RSS instead of ~185 (bench/export.ts).
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=512'];

// Preloaded into dynalite's Node process by local/dynalite.py (node --require). The Python process that started
// dynalite holds the write end of dynalite's stdin; when that process ends in any way, SIGKILL included (it then
// cannot stop dynalite itself), the pipe closes, stdin ends, and so does dynalite: nothing outlives `make dev`.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

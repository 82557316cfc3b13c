// Loaded with `node --import` into run.ts's CLI run: at exit, the process' peak RSS on standard
// error (a process killed by the heap limit writes none).
process.once('exit', () => {
  process.stderr.write(`${JSON.stringify({ bench: 'peak-rss', peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
});

/**
 * Loaded with `--require` into a process the bench measures: at exit it writes the process's peak
 * resident memory to stderr, which a parent cannot read for its child any other way in Node.
 */

process.on("exit", () => {
  process.stderr.write(`\npeak_rss_kb=${process.resourceUsage().maxRSS}\n`);
});

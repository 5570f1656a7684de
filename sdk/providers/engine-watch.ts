// A provider process must not outlive the engine that started it. The engine starts each plugin
// in a process group of its own, so when the `pulumi` CLI is killed (SIGKILL of its group: a
// closed laptop, a CI timeout) the plugin lives on. Left alone it spins: the dynamic-provider
// host of @pulumi/pulumi prints every uncaught error to stderr, stderr is a pipe whose reader is
// gone, the write fails with EPIPE, which is itself an uncaught error, printed again... (seen
// here: 30 % of a core per orphan, for as long as the machine runs).
//
// Nothing such a process does afterwards can be recorded in the stack, and the next `pulumi up`
// takes a half-made node over by its owner record, so the process ends: when its parent (the
// engine) is gone, or when its stdout/stderr pipe is.

let watching = false;

/** How often to look whether the engine is still the parent. */
export const ENGINE_WATCH_INTERVAL_MS = 2000;

/** Exit code of a provider process that ended because its engine was gone. */
export const ENGINE_GONE_EXIT_CODE = 3;

/** Idempotent: installs the watch once per process. */
export function watchEngine(intervalMs = ENGINE_WATCH_INTERVAL_MS): void {
    if (watching) return;
    watching = true;
    const engine = process.ppid;
    const gone = () => process.exit(ENGINE_GONE_EXIT_CODE);
    for (const stream of [process.stdout, process.stderr]) {
        // With a listener, a write error is an event, not an uncaught exception: no loop.
        stream.on("error", (err: NodeJS.ErrnoException) => {
            if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") gone();
        });
    }
    // process.ppid is read afresh on each access: an orphan is re-parented (to init or a subreaper).
    setInterval(() => {
        if (process.ppid !== engine) gone();
    }, intervalMs).unref();
}

// One voice for what the provider tells the user while it works: a logger with a severity,
// passed from the SDK into the engine room. `info` is progress (`inspecting (45s)`), `warn` is
// what the user must not miss (a wipe or a replacement announced at preview, an adoption). The
// dynamic provider's host shows stderr on the stack's row (one channel, no severity there); the
// plugin sends each line to the engine's log against the resource's URN with its severity
// (sdk/plugin/engine-log.ts).
export interface Logger {
    info(line: string): void;
    warn(line: string): void;
}

/** Lines on stderr, which Pulumi's dynamic-provider host shows for the resource. */
export const stderrLogger: Logger = {
    info: (line) => process.stderr.write(`${line}\n`),
    warn: (line) => process.stderr.write(`${line}\n`),
};

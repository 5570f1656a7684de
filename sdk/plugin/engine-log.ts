// Progress on the resource's own row. The handlers report progress with console.error (the
// dynamic provider's host shows stderr on the stack's row). In the plugin, each request runs in
// an async context holding its resource's URN, and console.error inside it becomes an
// EngineService.Log call with that URN, so `pulumi up` shows `inspecting (45s)` against the host.
import { AsyncLocalStorage } from "async_hooks";
import { format } from "util";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const grpc = require("@grpc/grpc-js");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const engineProto = require("@pulumi/pulumi/proto/engine_pb");

const requestContext = new AsyncLocalStorage<{ urn: string }>();

/** Runs `fn` with console.error routed to the engine log of `urn`. */
export function forResource<T>(urn: string, fn: () => Promise<T>): Promise<T> {
    return requestContext.run({ urn }, fn);
}

/** `[bmh default~h1] inspecting (45s)` → `inspecting (45s)`: the row already names the host. */
export function rowMessage(line: string): string {
    return line.replace(/^\[(bmh|machine)[^\]]*\]\s*/, "");
}

/** Routes console.error to the engine at `engineAddress` while a request context is active. */
export function routeProgressToEngine(engineAddress: string): void {
    if (!engineAddress) return;
    const client = new engineGrpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    const toStderr = console.error.bind(console);
    console.error = (...args: unknown[]) => {
        const ctx = requestContext.getStore();
        if (!ctx) return toStderr(...args);
        const line = format(...args);
        const req = new engineProto.LogRequest();
        // "WILL REPROVISION (wipe) host ..." and the like: a warning, not mere progress.
        req.setSeverity(/\bWILL\b/.test(line) ? engineProto.LogSeverity.WARNING : engineProto.LogSeverity.INFO);
        req.setMessage(rowMessage(line));
        req.setUrn(ctx.urn);
        client.log(req, (err: Error | null) => {
            if (err) toStderr(line);
        });
    };
}

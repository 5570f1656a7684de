// Progress on the resource's own row. The handlers take a logger with a severity
// (provider/log.ts); in the plugin each request gets one bound to its resource's URN, which sends
// every line to the engine's log (EngineService.Log) with that severity, so `pulumi up` shows
// `inspecting (45s)` against the host, and a wipe announced at preview as a warning.
import type { Logger } from "../../provider/log";
import { stderrLogger } from "../../provider/log";

const grpc = require("@grpc/grpc-js");

const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");

const engineProto = require("@pulumi/pulumi/proto/engine_pb");

/** A logger for the resource `urn`. */
export type LoggerFor = (urn: string) => Logger;

/** `[bmh default~h1] inspecting (45s)` → `inspecting (45s)`: the row already names the host. */
export function rowMessage(line: string): string {
    return line.replace(/^\[(bmh|machine)[^\]]*\]\s*/, "");
}

/** Loggers that write to the engine at `engineAddress` (none: stderr, which the engine shows in its own log). */
export function engineLoggers(engineAddress: string): LoggerFor {
    if (!engineAddress) return () => stderrLogger;
    const client = new engineGrpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    const send = (urn: string, severity: number, line: string, fallback: (l: string) => void) => {
        const req = new engineProto.LogRequest();
        req.setSeverity(severity);
        req.setMessage(rowMessage(line));
        req.setUrn(urn);
        client.log(req, (err: Error | null) => {
            if (err) fallback(line);
        });
    };
    return (urn) => ({
        info: (line) => send(urn, engineProto.LogSeverity.INFO, line, stderrLogger.info),
        warn: (line) => send(urn, engineProto.LogSeverity.WARNING, line, stderrLogger.warn),
    });
}

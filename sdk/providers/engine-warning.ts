// Warnings the operator must see on every run (TLS verification of Ironic off, credentials over
// plain http), sent to the engine as WARNING diagnostics so `pulumi preview` / `up` print them
// with the other warnings, not as a provider's stderr line. The engine starts every provider
// process (the dynamic-provider host and pulumi-resource-metal3 alike) with its own gRPC address
// as the last positional argument; without one (a provider called from a test) the warning goes
// to stderr. Each distinct message is sent once per provider process, i.e. once per run.
import { format } from "util";

const grpc = require("@grpc/grpc-js");

const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");

const engineProto = require("@pulumi/pulumi/proto/engine_pb");

const said = new Set<string>();
let client: any;

/** The engine's address from this process's arguments (`127.0.0.1:PORT`), if it was started by one. */
export function engineAddressFrom(argv: string[]): string | undefined {
    const positional = argv.slice(2).filter((a) => !a.startsWith("-"));
    const last = positional[positional.length - 1];
    return last && /^[\w.\-[\]:]+:\d+$/.test(last) ? last : undefined;
}

/** Sends `message` to the engine as a warning, once per process. Resolves when delivered (or written to stderr). */
export function warnOnce(...parts: unknown[]): Promise<void> {
    const message = format(...parts);
    if (said.has(message)) return Promise.resolve();
    said.add(message);
    const address = engineAddressFrom(process.argv);
    if (!address) {
        process.stderr.write(`warning: ${message}\n`);
        return Promise.resolve();
    }
    client ??= new engineGrpc.EngineClient(address, grpc.credentials.createInsecure());
    const req = new engineProto.LogRequest();
    req.setSeverity(engineProto.LogSeverity.WARNING);
    req.setMessage(message);
    req.setUrn("");
    return new Promise((resolve) =>
        client.log(req, (err: Error | null) => {
            if (err) process.stderr.write(`warning: ${message}\n`);
            resolve();
        }),
    );
}

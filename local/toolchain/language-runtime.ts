// What our Python and Go language hosts (python-host.ts, go-host.ts) share: the gRPC stubs shipped
// in @pulumi/pulumi/proto, the program's description in a request, and serving a LanguageRuntime
// the way the CLI expects of a plugin (the engine address is the LAST positional argument; the
// first stdout line is the port; later output is shown as the program's). The Node.js host
// (language-host.ts) predates this file and keeps its own copy.
import { watchEngine } from "../../sdk/providers/engine-watch";

export const grpc = require("@grpc/grpc-js");

const languageGrpc = require("@pulumi/pulumi/proto/language_grpc_pb");

export const languageProto = require("@pulumi/pulumi/proto/language_pb");

export const pluginProto = require("@pulumi/pulumi/proto/plugin_pb");

/** What GetPluginInfo reports: the SDK line our hosts serve, marked as not upstream's binaries. */
export const HOST_VERSION = "3.248.0+pulumi-metal3";
/** A program's exit code for "the error was already reported to the engine" (the host answers "bail"). */
export const EXIT_AFTER_REPORTED_ERROR = 32;

export type Callback = (err: Error | null, resp?: unknown) => void;
export interface Call {
    request: any;
}

export interface ProgramInfo {
    rootDirectory: string;
    programDirectory: string;
    entryPoint: string;
    options: Record<string, unknown>;
}

export function programInfoOf(request: any): ProgramInfo {
    const info = request.getInfo?.();
    const pwd: string = request.getPwd?.() || process.cwd();
    return {
        rootDirectory: info?.getRootDirectory() || pwd,
        programDirectory: info?.getProgramDirectory() || pwd,
        entryPoint: info?.getEntryPoint() || request.getProgram?.() || ".",
        options: (info?.getOptions()?.toJavaScript() as Record<string, unknown>) ?? {},
    };
}

/** A gRPC error the CLI shows as is. */
export function failedPrecondition(err: unknown): Error {
    const e = new Error((err as Error).message) as Error & { code: number };
    e.code = grpc.status.FAILED_PRECONDITION;
    return e;
}

/** A RunResponse from a finished program: 32 is a bail, other failures an error with the code. */
export function runResponseFor(code: number | null, signal: NodeJS.Signals | null): any {
    const resp = new languageProto.RunResponse();
    if (code === EXIT_AFTER_REPORTED_ERROR) resp.setBail(true);
    else if (signal) resp.setError(`Program exited unexpectedly: ${signal}`);
    else if (code !== 0) resp.setError(`Program exited with non-zero exit code: ${code}`);
    return resp;
}

export function runErrorResponse(message: string): any {
    const resp = new languageProto.RunResponse();
    resp.setError(message);
    return resp;
}

export function pluginInfo(_call: Call, callback: Callback): void {
    const resp = new pluginProto.PluginInfo();
    resp.setVersion(HOST_VERSION);
    callback(null, resp);
}

/** Serves `handlers` as the LanguageRuntime on 127.0.0.1, prints the port, ends with its engine. */
export function serveLanguageRuntime(name: string, handlers: Record<string, (call: Call, callback: Callback) => void>): void {
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(languageGrpc.LanguageRuntimeService, handlers);
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) => {
        if (err) {
            process.stderr.write(`${name}: could not listen: ${err.message}\n`);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
    // A `pulumi` CLI killed whole would leave this host behind, serving nobody: it ends with its engine.
    watchEngine();
    const stop = () => server.tryShutdown(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

/** The engine's address: the last positional argument (flags such as -v= or --tracing come before it). */
export function engineAddressOf(argv: string[]): string {
    const positional = argv.filter((a) => !a.startsWith("-"));
    return positional[positional.length - 1] ?? "";
}

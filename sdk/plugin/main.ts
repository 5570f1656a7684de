// Entry of `pulumi-resource-metal3` (bin/pulumi-resource-metal3 execs node on this file). The
// engine starts the plugin with its own address as the last positional argument (flags such as
// `--logtostderr -v=9` may come first), reads the port from the first stdout line, and talks gRPC.
import { watchEngine } from "../providers/engine-watch";
import { engineLoggers } from "./engine-log";
import { Metal3Provider } from "./server";

const grpc = require("@grpc/grpc-js");

const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");

function main(argv: string[]): void {
    watchEngine();
    const positional = argv.filter((a) => !a.startsWith("-"));
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    const engine = positional[positional.length - 1] ?? "";
    server.addService(providerGrpc.ResourceProviderService, new Metal3Provider(engineLoggers(engine), engine).service());
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) => {
        if (err) {
            process.stderr.write(`pulumi-resource-metal3: could not listen: ${err.message}\n`);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
    const stop = () => server.tryShutdown(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) main(process.argv.slice(2));

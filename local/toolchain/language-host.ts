// Our own `pulumi-language-nodejs`: the gRPC LanguageRuntime the Pulumi CLI starts to run a
// Node.js program. Why it exists: the upstream host is the untagged Go module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, and the module proxy this
// project can reach does not serve it at any version (403 "not available"), so it cannot be built
// here (docs/TOOLCHAIN.md). The program itself is still run by the project's own
// `@pulumi/pulumi/cmd/run`, exactly as the upstream host does; this file only does the plumbing:
// announce a port, turn a RunRequest into `node .../cmd/run --monitor ... <program>` with the
// config in PULUMI_CONFIG, and report the exit status back.
//
// Protocol facts it relies on (sdk/v3 go/common/resource/plugin, @pulumi/pulumi/cmd/run):
// - the engine address is the LAST positional argument; other flags (-v=, --logflow, --tracing)
//   may come before it and are ignored;
// - the first line on stdout is the port; later stdout/stderr lines are shown as program output;
// - GetRequiredPackages answered UNIMPLEMENTED makes the CLI fall back to GetRequiredPlugins;
// - cmd/run exits 32 when it already reported the error to the engine: that is a "bail".

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { watchEngine } from "../../sdk/providers/engine-watch";

const grpc = require("@grpc/grpc-js");

const languageGrpc = require("@pulumi/pulumi/proto/language_grpc_pb");

const languageProto = require("@pulumi/pulumi/proto/language_pb");

const pluginProto = require("@pulumi/pulumi/proto/plugin_pb");

/** What GetPluginInfo reports: the SDK line it serves, marked as not the upstream binary. */
const HOST_VERSION = "3.248.0+pulumi-metal3";
/** cmd/run's exit code for "the error was already reported to the engine". */
const EXIT_AFTER_REPORTED_ERROR = 32;

type Callback = (err: Error | null, resp?: unknown) => void;
interface Call {
    request: any;
}

interface ProgramInfo {
    rootDirectory: string;
    programDirectory: string;
    entryPoint: string;
    options: Record<string, unknown>;
}

function programInfoOf(request: any): ProgramInfo {
    const info = request.getInfo?.();
    const pwd: string = request.getPwd?.() || process.cwd();
    return {
        rootDirectory: info?.getRootDirectory() || pwd,
        programDirectory: info?.getProgramDirectory() || pwd,
        entryPoint: info?.getEntryPoint() || request.getProgram?.() || ".",
        options: (info?.getOptions()?.toJavaScript() as Record<string, unknown>) ?? {},
    };
}

/** Packages under node_modules whose package.json says `"pulumi": { "resource": true }`. */
function resourcePluginsUnder(programDirectory: string): Array<{ name: string; version: string; server?: string }> {
    const found = new Map<string, { name: string; version: string; server?: string }>();
    const nodeModules = path.join(programDirectory, "node_modules");
    const packageDirs: string[] = [];
    for (const entry of safeReaddir(nodeModules)) {
        if (entry.startsWith(".")) continue;
        if (entry.startsWith("@")) {
            for (const scoped of safeReaddir(path.join(nodeModules, entry))) packageDirs.push(path.join(nodeModules, entry, scoped));
        } else {
            packageDirs.push(path.join(nodeModules, entry));
        }
    }
    for (const dir of packageDirs) {
        let pkg: any;
        try {
            pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        } catch {
            continue;
        }
        if (!pkg?.pulumi?.resource) continue;
        const rawName: string =
            pkg.pulumi.name ??
            String(pkg.name ?? "")
                .replace(/^@pulumi\//, "")
                .replace(/^@/, "");
        const version: string = pkg.pulumi.version ?? pkg.version;
        if (!rawName || !version) continue;
        found.set(rawName, { name: rawName, version: version.startsWith("v") ? version : `v${version}`, server: pkg.pulumi.server });
    }
    return [...found.values()];
}

function safeReaddir(dir: string): string[] {
    try {
        return fs.readdirSync(dir);
    } catch {
        return [];
    }
}

function resolveRunScript(programDirectory: string): string {
    const override = process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH;
    if (override) return override;
    try {
        return require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDirectory] });
    } catch {
        throw new Error(
            `@pulumi/pulumi is not installed for the program in ${programDirectory} ` +
                `(could not resolve @pulumi/pulumi/cmd/run from there); run npm install in the project`,
        );
    }
}

function splitNodeArgs(value: unknown): string[] {
    return typeof value === "string" ? value.split(/\s+/).filter(Boolean) : [];
}

class NodeLanguageHost {
    constructor(private readonly engineAddress: string) {}

    getPluginInfo(_call: Call, callback: Callback): void {
        const resp = new pluginProto.PluginInfo();
        resp.setVersion(HOST_VERSION);
        callback(null, resp);
    }

    getRequiredPlugins(call: Call, callback: Callback): void {
        const info = programInfoOf(call.request);
        const resp = new languageProto.GetRequiredPluginsResponse();
        resp.setPluginsList(
            resourcePluginsUnder(info.programDirectory).map((p) => {
                const dep = new pluginProto.PluginDependency();
                dep.setName(p.name);
                dep.setKind("resource");
                dep.setVersion(p.version);
                if (p.server) dep.setServer(p.server);
                return dep;
            }),
        );
        callback(null, resp);
    }

    about(_call: Call, callback: Callback): void {
        const resp = new languageProto.AboutResponse();
        resp.setExecutable(process.execPath);
        resp.setVersion(process.version);
        callback(null, resp);
    }

    getProgramDependencies(_call: Call, callback: Callback): void {
        const resp = new languageProto.GetProgramDependenciesResponse();
        resp.setDependenciesList([]);
        callback(null, resp);
    }

    run(call: Call, callback: Callback): void {
        const req = call.request;
        const info = programInfoOf(req);
        let runScript: string;
        try {
            runScript = resolveRunScript(info.programDirectory);
        } catch (err) {
            const resp = new languageProto.RunResponse();
            resp.setError((err as Error).message);
            callback(null, resp);
            return;
        }

        const config: Record<string, string> = {};
        for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList() ?? []),
        };
        // Pulumi.yaml `runtime.options`: typescript defaults to true, as upstream.
        env.PULUMI_NODEJS_TYPESCRIPT = info.options.typescript === false ? "false" : "true";
        if (typeof info.options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = info.options.tsconfig;

        const args: string[] = [...splitNodeArgs(info.options.nodeargs), runScript];
        const flag = (name: string, value: string | number | undefined) => {
            if (value !== undefined && value !== "") args.push(`--${name}`, String(value));
        };
        flag("monitor", req.getMonitorAddress());
        flag("engine", this.engineAddress);
        flag("organization", req.getOrganization());
        flag("project", req.getProject());
        flag("stack", req.getStack());
        flag("pwd", info.programDirectory);
        flag("root-directory", info.rootDirectory);
        if (req.getDryrun()) args.push("--dry-run");
        flag("parallel", req.getParallel());
        args.push(info.entryPoint || ".", ...req.getArgsList());

        const child = spawn(process.execPath, args, { cwd: info.programDirectory, env, stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", (err) => {
            const resp = new languageProto.RunResponse();
            resp.setError(`could not start node for the program: ${err.message}`);
            callback(null, resp);
        });
        child.on("exit", (code, signal) => {
            const resp = new languageProto.RunResponse();
            if (code === EXIT_AFTER_REPORTED_ERROR) {
                resp.setBail(true);
            } else if (signal) {
                resp.setError(`Program exited unexpectedly: ${signal}`);
            } else if (code !== 0) {
                resp.setError(`Program exited with non-zero exit code: ${code}`);
            }
            callback(null, resp);
        });
    }
}

function main(argv: string[]): void {
    const positional = argv.filter((a) => !a.startsWith("-"));
    const engineAddress = positional[positional.length - 1] ?? "";
    const host = new NodeLanguageHost(engineAddress);
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(languageGrpc.LanguageRuntimeService, {
        getPluginInfo: host.getPluginInfo.bind(host),
        getRequiredPlugins: host.getRequiredPlugins.bind(host),
        about: host.about.bind(host),
        getProgramDependencies: host.getProgramDependencies.bind(host),
        run: host.run.bind(host),
    });
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) => {
        if (err) {
            process.stderr.write(`pulumi-language-nodejs: could not listen: ${err.message}\n`);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
    // Like the provider processes: a `pulumi` CLI killed whole leaves this host behind, re-parented,
    // serving nobody. It ends when its engine is gone.
    watchEngine();
    const stop = () => server.tryShutdown(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) main(process.argv.slice(2));

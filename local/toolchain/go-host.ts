// Our own `pulumi-language-go`: the gRPC LanguageRuntime the Pulumi CLI starts to run a Go program.
// Why it exists: upstream's host (sdk/go/pulumi-language-go in pulumi/pulumi) is a Go module the
// module proxy here refuses (docs/TOOLCHAIN.md). What it does is what upstream's does by default:
// `go build` the program directory into a temporary binary (or take Pulumi.yaml
// `runtime.options.binary`, a prebuilt one), then run it with the PULUMI_* environment that
// github.com/pulumi/pulumi/sdk/v3/go/pulumi's Run reads (PULUMI_MONITOR, PULUMI_ENGINE,
// PULUMI_PROJECT, PULUMI_STACK, PULUMI_ROOT_DIRECTORY, PULUMI_ORGANIZATION, PULUMI_CONFIG,
// PULUMI_CONFIG_SECRET_KEYS, PULUMI_DRY_RUN, PULUMI_PARALLEL: sdk/go/pulumi/run.go), and report
// its exit status (32: the SDK already logged the error; the host answers "bail").
// `go` comes from PATH with the caller's environment (GOFLAGS, GOCACHE, CGO_ENABLED...).

import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    Call,
    Callback,
    engineAddressOf,
    failedPrecondition,
    languageProto,
    pluginInfo,
    pluginProto,
    programInfoOf,
    runErrorResponse,
    runResponseFor,
    serveLanguageRuntime,
} from "./language-runtime";

/** `go args...` in dir, synchronously; its stdout, or an error naming the command and its stderr's tail. */
function goOutput(args: string[], dir: string): string {
    const r = spawnSync("go", args, { cwd: dir, encoding: "utf8", timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0)
        throw new Error(
            `go ${args.join(" ")} in ${dir} failed (${r.status ?? r.error?.message}): ${(r.stderr || "").trim().split("\n").slice(-10).join("\n")}`,
        );
    return r.stdout;
}

/** Resource plugins the program's packages declare: a pulumi-plugin.json in any package directory it imports (as upstream). */
export function pluginsDeclaredBy(programDirectory: string): Array<{ name: string; version?: string; server?: string }> {
    const found = new Map<string, { name: string; version?: string; server?: string }>();
    for (const dir of goOutput(["list", "-deps", "-f", "{{.Dir}}", "."], programDirectory).split("\n").filter(Boolean)) {
        let spec: any;
        try {
            spec = JSON.parse(fs.readFileSync(path.join(dir, "pulumi-plugin.json"), "utf8"));
        } catch {
            continue;
        }
        if (spec?.resource && spec.name) found.set(spec.name, { name: spec.name, version: spec.version, server: spec.server });
    }
    return [...found.values()];
}

/** Builds the program directory into a fresh temporary binary; resolves to its path, or rejects with go's output. */
function buildProgram(programDirectory: string): Promise<string> {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-go-program-"));
    const binary = path.join(outDir, "program");
    return new Promise((resolve, reject) => {
        const child = spawn("go", ["build", "-buildvcs=false", "-o", binary, "."], { cwd: programDirectory, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", (err) => reject(new Error(`could not run go (is Go on PATH?): ${err.message}`)));
        child.on("close", (code) => {
            if (code === 0) return resolve(binary);
            fs.rmSync(outDir, { recursive: true, force: true });
            reject(new Error(`go build in ${programDirectory} failed (exit ${code}):\n${output.trim()}`));
        });
    });
}

class GoLanguageHost {
    constructor(private readonly engineAddress: string) {}

    getRequiredPlugins(call: Call, callback: Callback): void {
        const info = programInfoOf(call.request);
        let plugins: Array<{ name: string; version?: string; server?: string }>;
        try {
            plugins = pluginsDeclaredBy(info.programDirectory);
        } catch (err) {
            return callback(failedPrecondition(err));
        }
        const resp = new languageProto.GetRequiredPluginsResponse();
        resp.setPluginsList(
            plugins.map((p) => {
                const dep = new pluginProto.PluginDependency();
                dep.setName(p.name);
                dep.setKind("resource");
                if (p.version) dep.setVersion(p.version.startsWith("v") ? p.version : `v${p.version}`);
                if (p.server) dep.setServer(p.server);
                return dep;
            }),
        );
        callback(null, resp);
    }

    about(_call: Call, callback: Callback): void {
        const resp = new languageProto.AboutResponse();
        try {
            resp.setExecutable(goOutput(["env", "GOROOT"], process.cwd()).trim() + "/bin/go");
            resp.setVersion(goOutput(["env", "GOVERSION"], process.cwd()).trim());
        } catch (err) {
            return callback(failedPrecondition(err));
        }
        callback(null, resp);
    }

    getProgramDependencies(call: Call, callback: Callback): void {
        const info = programInfoOf(call.request);
        const resp = new languageProto.GetProgramDependenciesResponse();
        try {
            const modules = goOutput(["list", "-m", "-f", "{{.Path}} {{.Version}}", "all"], info.programDirectory).split("\n").filter(Boolean);
            resp.setDependenciesList(
                modules.map((line) => {
                    const [name, version] = line.split(" ");
                    const dep = new languageProto.DependencyInfo();
                    dep.setName(name);
                    dep.setVersion(version ?? "");
                    return dep;
                }),
            );
        } catch (err) {
            return callback(failedPrecondition(err));
        }
        callback(null, resp);
    }

    run(call: Call, callback: Callback): void {
        const req = call.request;
        const info = programInfoOf(req);
        let answered = false;
        const answer = (resp: unknown) => {
            if (!answered) callback(null, resp);
            answered = true;
        };
        const config: Record<string, string> = {};
        for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
        const env: NodeJS.ProcessEnv = { ...process.env };
        const set = (name: string, value: string | number | undefined) => {
            if (value !== undefined && value !== "") env[name] = String(value);
        };
        set("PULUMI_ORGANIZATION", req.getOrganization());
        set("PULUMI_PROJECT", req.getProject());
        set("PULUMI_ROOT_DIRECTORY", info.rootDirectory);
        set("PULUMI_STACK", req.getStack());
        set("PULUMI_CONFIG", JSON.stringify(config));
        set("PULUMI_CONFIG_SECRET_KEYS", JSON.stringify(req.getConfigsecretkeysList() ?? []));
        set("PULUMI_DRY_RUN", req.getDryrun() ? "true" : "false");
        set("PULUMI_PARALLEL", req.getParallel());
        set("PULUMI_MONITOR", req.getMonitorAddress());
        set("PULUMI_ENGINE", this.engineAddress);

        const prebuilt = info.options.binary;
        const binary: Promise<{ path: string; temporary: boolean }> =
            typeof prebuilt === "string" && prebuilt
                ? Promise.resolve({ path: path.resolve(info.rootDirectory, prebuilt), temporary: false })
                : buildProgram(info.programDirectory).then((p) => ({ path: p, temporary: true }));
        binary.then(
            (bin) => {
                const cleanUp = () => {
                    if (bin.temporary) fs.rmSync(path.dirname(bin.path), { recursive: true, force: true });
                };
                const child = spawn(bin.path, req.getArgsList(), { cwd: req.getPwd() || info.programDirectory, env, stdio: ["ignore", "inherit", "inherit"] });
                child.on("error", (err) => {
                    cleanUp();
                    answer(runErrorResponse(`could not start the program ${bin.path}: ${err.message}`));
                });
                child.on("exit", (code, signal) => {
                    cleanUp();
                    answer(runResponseFor(code, signal));
                });
            },
            (err: Error) => answer(runErrorResponse(err.message)),
        );
    }
}

function main(argv: string[]): void {
    const host = new GoLanguageHost(engineAddressOf(argv));
    serveLanguageRuntime("pulumi-language-go", {
        getPluginInfo: pluginInfo,
        getRequiredPlugins: host.getRequiredPlugins.bind(host),
        about: host.about.bind(host),
        getProgramDependencies: host.getProgramDependencies.bind(host),
        run: host.run.bind(host),
    });
}

if (require.main === module) main(process.argv.slice(2));

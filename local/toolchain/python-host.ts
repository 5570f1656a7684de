// Our own `pulumi-language-python`: the gRPC LanguageRuntime the Pulumi CLI starts to run a Python
// program. Why it exists: upstream's host (sdk/python/cmd/pulumi-language-python in pulumi/pulumi)
// is a Go module with `replace` directives that the module proxy does not serve, and the `pulumi`
// wheel on PyPI ships the runtime but neither that host nor its exec script (docs/PLUGIN.md,
// "Python programs"). Like local/toolchain/language-host.ts for Node.js, this file only does the
// plumbing: announce a port, pick the program's interpreter, run our exec script
// (local/toolchain/python-exec.py) with the arguments and PULUMI_CONFIG* environment the wheel's
// runtime reads, and report the exit status back.
//
// The interpreter, as upstream's `pip` toolchain picks it: Pulumi.yaml
// `runtime.options.virtualenv` (relative to the project's root directory) → `<venv>/bin/python`,
// run as if the venv were activated (VIRTUAL_ENV, its bin first on PATH, no PYTHONHOME); without
// it, PULUMI_PYTHON_CMD or `python3` from PATH. Other toolchains (uv, poetry) and the type checker
// options are refused with a message rather than ignored.

import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    Call,
    Callback,
    engineAddressOf,
    failedPrecondition,
    languageProto,
    pluginInfo,
    pluginProto,
    ProgramInfo,
    programInfoOf,
    runErrorResponse,
    runResponseFor,
    serveLanguageRuntime,
} from "./language-runtime";

/** The program's interpreter and the environment it runs in (see the header). */
export interface PythonCommand {
    python: string;
    env: NodeJS.ProcessEnv;
}

export function pythonCommandFor(info: Pick<ProgramInfo, "rootDirectory" | "options">, base: NodeJS.ProcessEnv = process.env): PythonCommand {
    const { toolchain, typechecker, virtualenv } = info.options;
    if (toolchain !== undefined && toolchain !== "pip") {
        throw new Error(
            `runtime.options.toolchain: ${JSON.stringify(toolchain)} is not supported by this Python host (only pip with runtime.options.virtualenv)`,
        );
    }
    if (typechecker !== undefined && typechecker !== "none") {
        throw new Error(`runtime.options.typechecker: ${JSON.stringify(typechecker)} is not supported by this Python host`);
    }
    if (virtualenv === undefined) return { python: base.PULUMI_PYTHON_CMD || "python3", env: { ...base } };
    if (typeof virtualenv !== "string" || !virtualenv) throw new Error("runtime.options.virtualenv must be a directory name");
    const venv = path.resolve(info.rootDirectory, virtualenv);
    const python = path.join(venv, "bin", "python");
    if (!fs.existsSync(python)) {
        throw new Error(
            `the virtual environment ${venv} (runtime.options.virtualenv) has no bin/python: create it with \`python3 -m venv ${virtualenv}\` and install the program's packages`,
        );
    }
    const env: NodeJS.ProcessEnv = { ...base, VIRTUAL_ENV: venv, PATH: [path.join(venv, "bin"), base.PATH ?? ""].filter(Boolean).join(path.delimiter) };
    delete env.PYTHONHOME;
    return { python, env };
}

/** local/toolchain/python-exec.py beside this checkout's sources (this file runs from dist/local/toolchain). */
function execScript(): string {
    const candidates = [path.resolve(__dirname, "..", "..", "..", "local", "toolchain", "python-exec.py"), path.resolve(__dirname, "python-exec.py")];
    const found = candidates.find((f) => fs.existsSync(f));
    if (!found) throw new Error(`the Python exec script is missing (looked for ${candidates.join(", ")})`);
    return found;
}

/** Prints the installed distributions' pulumi-plugin.json files (resource plugins a package declares), as JSON. */
const LIST_PLUGINS = `
import importlib.metadata as m, json, sys
found = []
for dist in m.distributions():
    for f in dist.files or []:
        if f.name == "pulumi-plugin.json":
            try:
                spec = json.loads(f.read_text())
            except Exception:
                continue
            if spec.get("resource"):
                found.append({"name": spec.get("name"), "version": spec.get("version") or dist.version, "server": spec.get("server")})
json.dump(found, sys.stdout)
`;

/** Runs a short Python snippet with the program's interpreter; its stdout as JSON. */
function pythonJson(cmd: PythonCommand, code: string, cwd: string): any {
    const r = spawnSync(cmd.python, ["-c", code], { cwd, env: cmd.env, encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd.python} failed (${r.status ?? r.error?.message}): ${(r.stderr || "").trim().split("\n").slice(-5).join("\n")}`);
    return JSON.parse(r.stdout);
}

class PythonLanguageHost {
    constructor(private readonly engineAddress: string) {}

    getRequiredPlugins(call: Call, callback: Callback): void {
        const info = programInfoOf(call.request);
        let plugins: Array<{ name?: string; version?: string; server?: string }>;
        try {
            plugins = pythonJson(pythonCommandFor(info), LIST_PLUGINS, info.programDirectory);
        } catch (err) {
            return callback(failedPrecondition(err));
        }
        const resp = new languageProto.GetRequiredPluginsResponse();
        resp.setPluginsList(
            plugins
                .filter((p) => p.name)
                .map((p) => {
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

    about(call: Call, callback: Callback): void {
        const info = call.request.getInfo?.() ? programInfoOf(call.request) : { rootDirectory: process.cwd(), options: {} };
        const resp = new languageProto.AboutResponse();
        try {
            const cmd = pythonCommandFor(info);
            const about = pythonJson(cmd, "import sys, json; json.dump([sys.executable, '%d.%d.%d' % sys.version_info[:3]], sys.stdout)", info.rootDirectory);
            resp.setExecutable(about[0]);
            resp.setVersion(about[1]);
        } catch (err) {
            return callback(failedPrecondition(err));
        }
        callback(null, resp);
    }

    getProgramDependencies(call: Call, callback: Callback): void {
        const info = programInfoOf(call.request);
        const resp = new languageProto.GetProgramDependenciesResponse();
        try {
            const dists: Array<[string, string]> = pythonJson(
                pythonCommandFor(info),
                "import importlib.metadata as m, json, sys; json.dump(sorted([d.metadata['Name'], d.version] for d in m.distributions()), sys.stdout)",
                info.programDirectory,
            );
            resp.setDependenciesList(
                dists.map(([name, version]) => {
                    const dep = new languageProto.DependencyInfo();
                    dep.setName(name);
                    dep.setVersion(version);
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
        // One answer per Run: a spawn failure is followed by an "exit" event too.
        let answered = false;
        const answer = (resp: unknown) => {
            if (!answered) callback(null, resp);
            answered = true;
        };
        const fail = (message: string) => answer(runErrorResponse(message));
        let cmd: PythonCommand;
        let script: string;
        try {
            cmd = pythonCommandFor(info);
            script = execScript();
        } catch (err) {
            return fail((err as Error).message);
        }
        const config: Record<string, string> = {};
        for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
        const env: NodeJS.ProcessEnv = {
            ...cmd.env,
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList() ?? []),
        };

        // The exec script's command line (the one upstream's host gives its own script).
        const args: string[] = ["-u", script];
        const flag = (name: string, value: string | number | undefined) => {
            if (value !== undefined && value !== "") args.push(`--${name}`, String(value));
        };
        flag("monitor", req.getMonitorAddress());
        flag("engine", this.engineAddress);
        flag("project", req.getProject());
        flag("root_directory", info.rootDirectory);
        flag("stack", req.getStack());
        flag("pwd", req.getPwd() || info.programDirectory);
        flag("dry_run", req.getDryrun() ? "true" : "false");
        flag("parallel", req.getParallel());
        flag("organization", req.getOrganization());
        args.push(info.entryPoint || ".", ...req.getArgsList());

        const child = spawn(cmd.python, args, { cwd: info.programDirectory, env, stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", (err) => fail(`could not start ${cmd.python} for the program: ${err.message}`));
        child.on("exit", (code, signal) => answer(runResponseFor(code, signal)));
    }
}

function main(argv: string[]): void {
    const host = new PythonLanguageHost(engineAddressOf(argv));
    serveLanguageRuntime("pulumi-language-python", {
        getPluginInfo: pluginInfo,
        getRequiredPlugins: host.getRequiredPlugins.bind(host),
        about: host.about.bind(host),
        getProgramDependencies: host.getProgramDependencies.bind(host),
        run: host.run.bind(host),
    });
}

if (require.main === module) main(process.argv.slice(2));

// A TypeScript Pulumi project using the plugin's classes (`native` from pulumi-metal3), with the
// plugin found through `plugins.providers` in its Pulumi.yaml (the launcher in bin/), driven by
// the real CLI on a file:// backend. Lives under .state/ so it resolves the repo's node_modules.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { pulumiEnv } from "../../local/toolchain";

export const REPO = path.resolve(__dirname, "../../..");

/** Reads config `hosts` (JSON) and declares one `metal3.BareMetalHost` per entry. */
export const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { native as metal3 } from "pulumi-metal3";

interface HostConfig {
    name: string;
    mac?: string;
    address?: string;
    password?: string;
    online?: boolean;
    description?: string;
    createTimeout?: string;
    protect?: boolean;
    aliasDynamic?: boolean;
}
const cfg = new pulumi.Config();
const states: Record<string, pulumi.Output<string>> = {};
for (const h of cfg.requireObject<HostConfig[]>("hosts")) {
    const host = new metal3.BareMetalHost(
        h.name,
        {
            bmc: { address: h.address ?? "fake://plugin", ...(h.password ? { password: h.password } : {}) },
            online: h.online ?? false,
            ...(h.mac ? { bootMACAddress: h.mac } : {}),
            ...(h.description ? { description: h.description } : {}),
        },
        {
            ...(h.createTimeout ? { customTimeouts: { create: h.createTimeout } } : {}),
            ...(h.protect ? { protect: true } : {}),
            ...(h.aliasDynamic ? { aliases: [{ type: metal3.DYNAMIC_TYPES.BareMetalHost }] } : {}),
        },
    );
    states[h.name] = host.provisioningState;
}
export const provisioningStates = states;
`;

export interface RunResult {
    code: number;
    /** stdout and stderr, as a user sees them. */
    out: string;
    stdout: string;
    ms: number;
}

export class PluginProject {
    readonly env: NodeJS.ProcessEnv;

    constructor(
        readonly dir: string,
        binDir: string,
    ) {
        this.env = { ...pulumiEnv(binDir, { backendDir: path.join(dir, ".backend") }), NO_COLOR: "1" };
        // Ironic is reached through the provider's config only (metal3:ironicUrl).
        delete this.env.IRONIC_URL;
        delete this.env.OS_ENDPOINT;
    }

    /** A fresh project directory with the program, Pulumi.yaml naming the plugin by path (`null`: found as installed). */
    static create(name: string, binDir: string, pluginDir: string | null = path.join(REPO, "bin")): PluginProject {
        fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
        const dir = fs.mkdtempSync(path.join(REPO, ".state", `${name}-`));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            `name: ${name}\nruntime: nodejs\n` + (pluginDir ? `plugins:\n  providers:\n    - name: metal3\n      path: ${pluginDir}\n` : ""),
        );
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, main: "index.ts" }));
        fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
        return new PluginProject(dir, binDir);
    }

    run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
        const started = Date.now();
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: { ...this.env, ...extraEnv } });
            let out = "";
            let stdout = "";
            child.stdout.on("data", (d) => ((out += d), (stdout += d)));
            child.stderr.on("data", (d) => (out += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code: code ?? -1, out, stdout, ms: Date.now() - started }));
        });
    }

    async must(args: string[]): Promise<string> {
        const r = await this.run(args);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.out}`);
        return r.out;
    }

    async setHosts(hosts: unknown[]): Promise<void> {
        await this.must(["config", "set", "hosts", JSON.stringify(hosts)]);
    }

    /** The engine events `pulumi up --json` streams on stdout (one JSON object after another). */
    static events(stdout: string): any[] {
        const trimmed = stdout.trim();
        if (!trimmed) return [];
        try {
            const whole = JSON.parse(trimmed);
            return Array.isArray(whole) ? whole : [whole];
        } catch {
            return trimmed.split(/\n(?=\{)/).map((chunk) => JSON.parse(chunk));
        }
    }
}

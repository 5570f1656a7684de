// Drives the real `pulumi` CLI (built by the toolchain, on PATH) against a copy of an example
// program on a local file:// backend. The copy lives under .state/ inside the repository so the
// program resolves `pulumi-metal3`, `@pulumi/pulumi` and `@pulumi/kubernetes` from the repo's own
// node_modules, exactly as a user's project resolves them from its own. (`TestStack.init` takes a
// program anywhere: package.test.ts runs one outside the repository against the packed package.)
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export class TestStack {
    readonly env: NodeJS.ProcessEnv;

    private constructor(
        readonly dir: string,
        readonly stack: string,
        readonly backendDir: string,
    ) {
        this.env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${backendDir}`,
            PULUMI_HOME: path.join(backendDir, ".pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            NO_COLOR: "1",
        };
    }

    /**
     * Copies examples/<example> (or the program directory at an absolute path) to a fresh directory
     * under .state/e2e and initialises a stack there.
     */
    static async create(example: string, stack: string, backendDir?: string): Promise<TestStack> {
        const base = path.join(REPO_ROOT, ".state", "e2e");
        fs.mkdirSync(base, { recursive: true });
        const dir = fs.mkdtempSync(path.join(base, `${path.basename(example)}-`));
        fs.cpSync(path.isAbsolute(example) ? example : path.join(REPO_ROOT, "examples", example), dir, { recursive: true });
        for (const f of fs.readdirSync(dir)) if (/^Pulumi\..+\.yaml$/.test(f)) fs.rmSync(path.join(dir, f));
        return TestStack.init(dir, stack, backendDir);
    }

    /** Initialises a stack of the program already in `dir` (anywhere, e.g. outside the repository). */
    static async init(dir: string, stack: string, backendDir?: string): Promise<TestStack> {
        const backend = backendDir ?? path.join(dir, ".backend");
        fs.mkdirSync(backend, { recursive: true });
        const s = new TestStack(dir, stack, backend);
        await s.must(["stack", "init"]);
        return s;
    }

    /** A program written by the test (file name → contents) in a fresh directory under .state/e2e, with a stack initialised. */
    static async inline(program: string, files: Record<string, string>, stack: string): Promise<TestStack> {
        const base = path.join(REPO_ROOT, ".state", "e2e");
        fs.mkdirSync(base, { recursive: true });
        const dir = fs.mkdtempSync(path.join(base, `${program}-`));
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
        const backend = path.join(dir, ".backend");
        fs.mkdirSync(backend, { recursive: true });
        const s = new TestStack(dir, stack, backend);
        await s.must(["stack", "init"]);
        return s;
    }

    /** A Node.js program of one file (`index.js`), its Pulumi.yaml and package.json, under .state/e2e; a stack initialised. */
    static nodeProgram(name: string, program: string, stack = "dev"): Promise<TestStack> {
        return TestStack.inline(
            name,
            { "Pulumi.yaml": `name: ${name}\nruntime: nodejs\n`, "package.json": JSON.stringify({ name, main: "index.js" }), "index.js": program },
            stack,
        );
    }

    /** Another stack of the same program (same directory and backend). */
    async sibling(stack: string): Promise<TestStack> {
        const s = new TestStack(this.dir, stack, this.backendDir);
        await s.must(["stack", "init"]);
        return s;
    }

    run(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
        // The stack's flags go before a `--` (after it, everything is a positional argument).
        const end = args.indexOf("--");
        const ours = ["--stack", this.stack, "--non-interactive"];
        const full = end < 0 ? [...args, ...ours] : [...args.slice(0, end), ...ours, ...args.slice(end)];
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", full, { cwd: this.dir, env: { ...this.env, ...opts.env } });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
        });
    }

    async must(args: string[]): Promise<RunResult> {
        const r = await this.run(args);
        if (r.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} failed (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
        }
        return r;
    }

    async setConfig(key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): Promise<void> {
        // `--` before the key and value: a value that starts with "-" (a random password) is not a flag.
        await this.must(["config", "set", ...(opts.secret ? ["--secret"] : []), ...(opts.path ? ["--path"] : []), "--", key, value]);
    }

    /**
     * Gives the stack its owner key (docs/SECURITY.md#ownership) as an operator does, with
     * `pulumi-metal3 owner-key --set` (`--plugin`: metal3:ownerKey); or `key` as given, for a stack
     * that must share a fixture pool's key (test/machine/pool.ts POOL_OWNER_KEY).
     */
    async setOwnerKey(opts: { plugin?: boolean; key?: string } = {}): Promise<void> {
        if (opts.key !== undefined) return this.setConfig(opts.plugin ? "metal3:ownerKey" : "pulumi-metal3:ownerKey", opts.key, { secret: true });
        const args = [path.join(REPO_ROOT, "bin", "pulumi-metal3"), "owner-key", "--set", "--stack", this.stack, ...(opts.plugin ? ["--plugin"] : [])];
        const r = await new Promise<RunResult>((resolve, reject) => {
            const child = spawn(process.execPath, args, { cwd: this.dir, env: this.env });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
        });
        if (r.code !== 0) throw new Error(`pulumi-metal3 owner-key --set failed (exit ${r.code})\n${r.stdout}${r.stderr}`);
    }

    /** `pulumi preview --json`: the planned step of each resource, keyed by resource name. */
    async previewSteps(): Promise<Map<string, string>> {
        const r = await this.must(["preview", "--json", "--diff"]);
        const plan = JSON.parse(r.stdout);
        const steps = new Map<string, string>();
        for (const s of plan.steps ?? []) {
            const name = String(s.urn).split("::").pop() as string;
            steps.set(name, s.op);
        }
        return steps;
    }

    async exportState(): Promise<{ text: string; json: any }> {
        const r = await this.must(["stack", "export", "--show-secrets=false"]);
        return { text: r.stdout, json: JSON.parse(r.stdout) };
    }

    /** The raw stack state file in the file:// backend, as it sits on disk. */
    rawStateFiles(): string[] {
        const found: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else if (p.includes(`${path.sep}stacks${path.sep}`) && /\.json(\.bak)?$/.test(p)) found.push(p);
            }
        };
        walk(path.join(this.backendDir, ".pulumi"));
        return found;
    }

    async outputs(): Promise<Record<string, any>> {
        const r = await this.must(["stack", "output", "--json", "--show-secrets"]);
        return JSON.parse(r.stdout);
    }
}

/** A random MAC address under a test's own 3-byte prefix (e.g. "52:54:0f"), so tests do not share ports. */
export function randomMac(prefix: string): string {
    const byte = () =>
        Math.floor(Math.random() * 256)
            .toString(16)
            .padStart(2, "0");
    return `${prefix}:${byte()}:${byte()}:${byte()}`;
}

// `npm run bench:plugin [-- --hosts N]`: the package's plugin beside the dynamic resources.
//   1. plugin start: from exec of bin/pulumi-resource-metal3 to the port on its stdout (the
//      engine waits for that line before any call), median of 5;
//   2. `pulumi up` of N hosts (default 50, fake hardware, a fresh Ironic) through the native
//      `metal3.BareMetalHost` and through the dynamic `BareMetalHost`, then `destroy`.
// Prints the table; docs/PLUGIN.md quotes it.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startIronic, stopIronic } from "../local/ironic";
import { findFreePort } from "../local/proc";
import { ensureToolchain, pulumiEnv } from "../local/toolchain";

const REPO = path.resolve(__dirname, "../..");
const FAKE_DELAYS = { inspect: "2", power: "0", boot: "0", management: "0" };
const say = (l: string) => process.stderr.write(`[bench:plugin] ${l}\n`);

/** One program, either door: config `door` = native | dynamic. */
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const m3 = require("pulumi-metal3");
const cfg = new pulumi.Config();
const n = Number(cfg.require("hosts"));
const door = cfg.require("door");
const Host = door === "native" ? m3.native.BareMetalHost : m3.BareMetalHost;
const h = (x) => x.toString(16).padStart(2, "0");
for (let i = 0; i < n; i++) {
  new Host(\`\${door}-\${i}\`, { namespace: "bench-plugin", bmc: { address: \`fake://\${door}-\${i}\` }, online: false, bootMACAddress: \`52:54:5e:\${door === "native" ? "01" : "02"}:\${h(i >> 8)}:\${h(i & 255)}\` });
}
`;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** ms from exec to the port line. */
function pluginStart(): Promise<number> {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const child = spawn(path.join(REPO, "bin", "pulumi-resource-metal3"), ["127.0.0.1:1"], { stdio: ["ignore", "pipe", "ignore"] });
        child.stdout.once("data", () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            child.kill("SIGTERM");
            resolve(ms);
        });
        child.on("error", reject);
    });
}

function pulumi(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<number> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: dir, env });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve((Date.now() - started) / 1000) : reject(new Error(`pulumi ${args.join(" ")} failed (${code}):\n${out.slice(-4000)}`)),
        );
    });
}

async function door(kind: "native" | "dynamic", hosts: number, ironicUrl: string, binDir: string): Promise<{ up: number; noop: number; destroy: number }> {
    fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(REPO, ".state", `bench-plugin-${kind}-`));
    try {
        const plugin = kind === "native" ? `plugins:\n  providers:\n    - name: metal3\n      path: ${path.join(REPO, "bin")}\n` : "";
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: bench-plugin\nruntime: nodejs\n${plugin}`);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-plugin", main: "index.js" }));
        fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
        const env: NodeJS.ProcessEnv = { ...pulumiEnv(binDir, { backendDir: path.join(dir, ".backend") }), NO_COLOR: "1" };
        delete env.IRONIC_URL;
        delete env.OS_ENDPOINT;
        const p = (args: string[]) => pulumi(dir, env, args);
        await p(["stack", "init", "bench"]);
        await p(["config", "set", kind === "native" ? "metal3:ironicUrl" : "pulumi-metal3:ironicUrl", ironicUrl]);
        await p(["config", "set", "hosts", String(hosts)]);
        await p(["config", "set", "door", kind]);
        say(`${kind}: up of ${hosts} hosts ...`);
        const up = await p(["up", "--yes", "--skip-preview"]);
        const noop = await p(["up", "--yes", "--skip-preview"]);
        const destroy = await p(["destroy", "--yes", "--skip-preview"]);
        say(`${kind}: up ${up.toFixed(0)} s, no-op up ${noop.toFixed(0)} s, destroy ${destroy.toFixed(0)} s`);
        return { up, noop, destroy };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const i = process.argv.indexOf("--hosts");
    const hosts = i > 0 ? Number(process.argv[i + 1]) : 50;
    const binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
    const starts: number[] = [];
    for (let k = 0; k < 5; k++) starts.push(await pluginStart());
    say(`plugin start: ${starts.map((s) => s.toFixed(0)).join(", ")} ms`);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-bench-plugin-"));
    // noauth: the figures of docs/PERFORMANCE.md were measured so, and the stacks get the URL alone.
    const ironic = await startIronic({ stateDir, port: await findFreePort(), noauth: true, fakeDelays: FAKE_DELAYS, log: say });
    try {
        const native = await door("native", hosts, ironic.url, binDir);
        const dynamic = await door("dynamic", hosts, ironic.url, binDir);
        const rows = [
            `| ${hosts} hosts, fake hardware (inspect ${FAKE_DELAYS.inspect} s), default --parallel | plugin (metal3:index:BareMetalHost) | dynamic (pulumi-nodejs:dynamic) |`,
            "|---|---|---|",
            `| plugin start (exec → port), median of 5 | ${median(starts).toFixed(0)} ms | (the dynamic provider is a plugin too; not measured) |`,
            `| pulumi up (create) | ${native.up.toFixed(0)} s | ${dynamic.up.toFixed(0)} s |`,
            `| pulumi up (no changes) | ${native.noop.toFixed(0)} s | ${dynamic.noop.toFixed(0)} s |`,
            `| pulumi destroy | ${native.destroy.toFixed(0)} s | ${dynamic.destroy.toFixed(0)} s |`,
        ];
        process.stdout.write(
            `${rows.join("\n")}\n\nmeasured ${new Date().toISOString()} on ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}\n`,
        );
    } finally {
        await stopIronic({ stateDir, log: say });
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    process.stderr.write(`bench:plugin: ${(err as Error).message}\n`);
    process.exit(1);
});

// End to end with the real Pulumi engine: two stacks of test/machine/e2e-program race for one
// pool of 4 hosts (3 Machines each) with `pulumi up` running at the same time; then, with one stack
// destroyed, an image change previews and applies as a replacement of exactly the Machines that
// exist (delete-before-replace); destroy returns the pool.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { ensureToolchain } from "../../local/toolchain";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../e2e/stack";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY, uniqueTag } from "./pool";
import type { RunningCluster } from "../../local/ironic-cluster";
import { startPostgresIronic, stopPostgresIronic } from "../support/postgres-ironic";

const NS = "e2e-machines";

/**
 * A stack of test/machine/e2e-program on a file:// backend, run with the real `pulumi` CLI. (The
 * shared TestStack copies from examples/ only.) The copy sits under .state/ inside the repository
 * so the program resolves pulumi-metal3 and @pulumi/pulumi from the repo's node_modules.
 */
class ProgramStack {
    constructor(
        readonly dir: string,
        readonly stack: string,
        readonly env: NodeJS.ProcessEnv,
    ) {}

    static async create(stacks: string[]): Promise<ProgramStack[]> {
        const base = path.join(REPO_ROOT, ".state", "e2e");
        fs.mkdirSync(base, { recursive: true });
        const dir = fs.mkdtempSync(path.join(base, "machine-race-"));
        fs.cpSync(path.join(REPO_ROOT, "test", "machine", "e2e-program"), dir, { recursive: true });
        const backend = path.join(dir, ".backend");
        fs.mkdirSync(backend);
        const env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${backend}`,
            PULUMI_HOME: path.join(backend, ".pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
        const out = stacks.map((name) => new ProgramStack(dir, name, env));
        for (const s of out) await s.must(["stack", "init"]);
        return out;
    }

    run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--stack", this.stack, "--non-interactive"], { cwd: this.dir, env: this.env });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
        });
    }

    async must(args: string[]) {
        const r = await this.run(args);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} (stack ${this.stack}) exit ${r.code}\n${r.stdout}\n${r.stderr}`);
        return r;
    }

    setConfig(key: string, value: string, opts: { secret?: boolean } = {}) {
        return this.must(["config", "set", key, value, ...(opts.secret ? ["--secret"] : [])]);
    }

    async exportState(): Promise<{ text: string; json: any }> {
        const r = await this.must(["stack", "export"]);
        return { text: r.stdout, json: JSON.parse(r.stdout) };
    }

    async outputs(): Promise<Record<string, any>> {
        return JSON.parse((await this.must(["stack", "output", "--json", "--show-secrets"])).stdout);
    }
}

/** Every planned op per resource name (a replacement has several steps). */
async function previewOps(stack: ProgramStack): Promise<Map<string, string[]>> {
    const r = await stack.must(["preview", "--json", "--diff"]);
    const ops = new Map<string, string[]>();
    for (const s of JSON.parse(r.stdout).steps ?? []) {
        const name = String(s.urn).split("::").pop() as string;
        ops.set(name, [...(ops.get(name) ?? []), s.op]);
    }
    return ops;
}

describe("e2e: Machines from two stacks racing for one pool (real Pulumi engine)", function () {
    let client: IronicClient;
    let a: ProgramStack;
    let b: ProgramStack;
    let pool: Node[] = [];
    const tag = uniqueTag("e2e");
    // Six Machines claim at once: on PostgreSQL, as a production Ironic (test/support/postgres-ironic.ts says why not sqlite).
    let ironic: RunningCluster | undefined;

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        ironic = await startPostgresIronic();
        client = await IronicClient.connect({ url: ironic.url, authType: "none" });
        pool = await createPoolHosts(
            client,
            NS,
            [0, 1, 2, 3].map((i) => ({ name: `${tag}-h${i}`, labels: { pool: tag } })),
        );
        [a, b] = await ProgramStack.create(["a", "b"]);
        for (const s of [a, b]) {
            await s.setConfig("pulumi-metal3:ironicUrl", ironic.url);
            await s.setConfig("count", "3");
            await s.setConfig("pool", tag);
            await s.setConfig("namespace", NS);
            await s.setConfig("imageUrl", "http://images.example/v1.qcow2");
            // The pool is enrolled under this key (./pool.ts): the stacks' Machines claim only hosts keyed under it.
            await s.setConfig("pulumi-metal3:ownerKey", POOL_OWNER_KEY, { secret: true });
        }
    });

    after(async function () {
        this.timeout(900_000);
        for (const s of [a, b]) if (s) await s.run(["destroy", "--yes"]);
        if (a) fs.rmSync(a.dir, { recursive: true, force: true });
        if (client) {
            await destroyPoolHosts(client, pool);
            await client.close();
        }
        await stopPostgresIronic(ironic);
    });

    it("two concurrent `pulumi up`: exactly 4 Machines get hosts, 2 fail with the claim message", async function () {
        const [ra, rb] = await Promise.all([a.run(["up", "--yes", "--skip-preview"]), b.run(["up", "--yes", "--skip-preview"])]);
        const output = ra.stdout + ra.stderr + rb.stdout + rb.stderr;
        // 6 Machines, 4 hosts: at least one run fails, and the failures say why.
        expect(ra.code !== 0 || rb.code !== 0, output).to.equal(true);
        const failures = output.match(/no host (available|could be claimed) for machine e2e-machines\/[ab]-m\d/g) ?? [];
        expect(new Set(failures).size, output).to.equal(2);
        expect(output).to.contain(`selector pool=${tag} in namespace ${NS} matched 4 of`);

        const allocations = (await client.listAllocations()).filter((x) => /^e2e-machines~[ab]-m\d$/.test(x.name ?? ""));
        expect(allocations).to.have.length(4);
        expect(new Set(allocations.map((x) => x.node_uuid)).size).to.equal(4);
        for (const n of pool) {
            const node = await client.getNode(n.uuid);
            expect(node.provision_state, node.name!).to.equal("active");
            expect(allocations.map((x) => x.uuid)).to.include(node.instance_uuid);
        }
        // The secret user data is not in plain text in either stack's state.
        for (const s of [a, b]) expect((await s.exportState()).text).to.not.contain("#cloud-config");
    });

    it("destroying one stack frees its hosts; an image change previews as replace for exactly the existing Machines", async function () {
        await b.must(["destroy", "--yes"]);
        const free = (await Promise.all(pool.map((n) => client.getNode(n.uuid)))).filter((n) => n.provision_state === "available" && !n.instance_uuid);
        const stateA = (await a.exportState()).json;
        const existing: string[] = (stateA.deployment.resources ?? [])
            .filter((r: any) => String(r.type).endsWith(":Machine"))
            .map((r: any) => String(r.urn).split("::").pop());
        expect(free.length).to.equal(4 - existing.length);

        await a.setConfig("imageUrl", "http://images.example/v2.qcow2");
        await a.setConfig("deleteBeforeReplace", "true");
        const ops = await previewOps(a);
        for (const name of ["m0", "m1", "m2"]) {
            if (existing.includes(name)) expect(ops.get(name), name).to.include("replace");
            else expect(ops.get(name), name).to.deep.equal(["create"]);
        }

        // Replacements release their host first, so 3 Machines fit in the 4 hosts whatever the order.
        await a.must(["up", "--yes", "--skip-preview"]);
        const hosts: string[] = (await a.outputs()).hosts;
        expect(hosts).to.have.length(3);
        expect(new Set(hosts).size).to.equal(3);
        for (const host of hosts) {
            const node = await client.getNode(`${NS}~${host}`);
            expect(node.provision_state).to.equal("active");
            expect(node.instance_info.image_source).to.equal("http://images.example/v2.qcow2");
        }
    });

    it("destroy returns every host to the pool: available, powered off, unclaimed", async function () {
        await a.must(["destroy", "--yes"]);
        for (const n of pool) {
            const node = await client.getNode(n.uuid);
            expect(node.provision_state, node.name!).to.equal("available");
            expect(node.power_state, node.name!).to.equal("power off");
            expect(node.instance_uuid, node.name!).to.equal(null);
        }
        expect((await client.listAllocations()).filter((x) => /^e2e-machines~[ab]-m\d/.test(x.name ?? ""))).to.have.length(0);
    });
});

describe("e2e: a Machine whose deploy does not finish is kept and finished by the next up (real Pulumi engine)", function () {
    let client: IronicClient;
    let c: ProgramStack;
    let pool: Node[] = [];
    const tag = uniqueTag("e2epartial");

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
        pool = await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }]);
        [c] = await ProgramStack.create(["c"]);
        await c.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
        await c.setConfig("count", "1");
        await c.setConfig("pool", tag);
        await c.setConfig("namespace", NS);
        await c.setConfig("imageUrl", "http://images.example/v1.qcow2");
        await c.setConfig("pulumi-metal3:ownerKey", POOL_OWNER_KEY, { secret: true });
    });

    after(async function () {
        this.timeout(900_000);
        if (c) await c.run(["destroy", "--yes"]);
        if (c) fs.rmSync(c.dir, { recursive: true, force: true });
        if (client) {
            await destroyPoolHosts(client, pool);
            await client.close();
        }
    });

    it("up with a deadline no deploy meets fails but records the Machine; the next up finishes it on the same host", async function () {
        // Long enough for the claim (a deadline already passed claims nothing), far too short for the deploy.
        await c.setConfig("createTimeout", "1500ms");
        const first = await c.run(["up", "--yes", "--skip-preview"]);
        expect(first.code).to.not.equal(0);
        expect(first.stdout + first.stderr).to.contain("the deploy did not finish");
        const machine = ((await c.exportState()).json.deployment.resources ?? []).find((r: any) => String(r.type).endsWith(":Machine"));
        expect(machine, "Machine recorded in state").to.not.equal(undefined);
        expect(machine.initErrors?.length ?? 0).to.be.greaterThan(0);
        expect((await client.getNode(pool[0].uuid)).instance_uuid).to.equal(machine.id); // still claimed

        await c.setConfig("createTimeout", "5m");
        await c.must(["up", "--yes", "--skip-preview"]);
        expect((await c.outputs()).hosts).to.deep.equal([`${tag}-h0`]);
        const node = await client.getNode(pool[0].uuid);
        expect(node.provision_state).to.equal("active");
        expect(node.instance_uuid).to.equal(machine.id);

        await c.must(["destroy", "--yes"]);
        const back = await client.getNode(pool[0].uuid);
        expect(back.provision_state).to.equal("available");
        expect(back.instance_uuid).to.equal(null);
    });
});

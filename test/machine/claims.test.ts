// Claims against a real Ironic (fake hardware): atomic under concurrency (one process and two),
// clear failures, release back to the pool, failure-domain preference, idempotent re-runs.
import { RunningCluster } from "../../local/ironic-cluster";
import { startPostgresIronic, stopPostgresIronic } from "../support/postgres-ironic";
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { claimHost, NoHostAvailableError, passedOverNote, releaseClaim, type Claim, type ClaimRequest } from "../../provider/claim/allocation";
import { FAILURE_DOMAIN_LABEL } from "../../provider/claim/candidates";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY, uniqueTag } from "./pool";

const run = promisify(execFile);
const NS = "claims";

function request(machine: string, selector: ClaimRequest["selector"], extra: Partial<ClaimRequest> = {}): ClaimRequest {
    return { namespace: NS, selector, poolKeys: [POOL_OWNER_KEY], owner: { namespace: NS, machine, specHash: "spec1" }, allocationTimeoutMs: 60_000, ...extra };
}

async function settle<T>(promises: Promise<T>[]): Promise<{ ok: T[]; failed: Error[] }> {
    const ok: T[] = [];
    const failed: Error[] = [];
    for (const r of await Promise.allSettled(promises)) {
        if (r.status === "fulfilled") ok.push(r.value as T);
        else failed.push(r.reason as Error);
    }
    return { ok, failed };
}

describe("Machine claims (real Ironic)", function () {
    let client: IronicClient;
    const created: Node[] = [];

    // Claims race by design: on PostgreSQL, as a production Ironic (test/support/postgres-ironic.ts says why not sqlite).
    let ironic: RunningCluster | undefined;
    before(async function () {
        this.timeout(300_000);
        ironic = await startPostgresIronic();
        client = await IronicClient.connect({ url: ironic.url, authType: "none" });
    });
    after(async function () {
        this.timeout(120_000);
        await destroyPoolHosts(client, created);
        await client.close();
        await stopPostgresIronic(ironic);
    });

    async function pool(tag: string, count: number, labelsOf: (i: number) => Record<string, string> = () => ({})): Promise<Node[]> {
        const nodes = await createPoolHosts(
            client,
            NS,
            Array.from({ length: count }, (_, i) => ({ name: `${tag}-h${i}`, labels: { pool: tag, ...labelsOf(i) } })),
        );
        created.push(...nodes);
        return nodes;
    }

    async function ourAllocations(machines: string[]) {
        const names = new Set(machines.map((m) => `${NS}~${m}`));
        return (await client.listAllocations()).filter((a) => a.name && names.has(a.name));
    }

    it("10 concurrent claims on 6 hosts: exactly 6 succeed, 4 fail clearly, no host claimed twice", async function () {
        const tag = uniqueTag("race");
        const nodes = await pool(tag, 6);
        const machines = Array.from({ length: 10 }, (_, i) => `${tag}-m${i}`);
        const { ok, failed } = await settle(machines.map((m) => claimHost(client, request(m, { matchLabels: { pool: tag } }))));

        expect(ok).to.have.length(6);
        expect(failed).to.have.length(4);
        const claimedNodes = ok.map((c) => c.node.uuid);
        expect(new Set(claimedNodes).size).to.equal(6);
        expect([...claimedNodes].sort()).to.deep.equal(nodes.map((n) => n.uuid).sort());
        for (const err of failed) {
            expect(err).to.be.instanceOf(NoHostAvailableError);
            expect(err.message).to.include(`selector pool=${tag} in namespace ${NS}`);
            expect(err.message).to.include("matched 6 of");
            expect(err.message).to.include("0 eligible");
            expect(err.message).to.match(/already claimed by allocation claims~race-[^ ]+-m\d \(/);
        }

        // Ironic agrees: each node holds exactly the allocation that claimed it; nothing half-claimed.
        for (const claim of ok) {
            const node = await client.getNode(claim.node.uuid);
            expect(node.allocation_uuid).to.equal(claim.allocation.uuid);
            expect(node.instance_uuid).to.equal(claim.allocation.uuid);
        }
        const allocations = await ourAllocations(machines);
        expect(allocations).to.have.length(6);
        expect(allocations.every((a) => a.state === "active")).to.equal(true);
    });

    it("the same race from two separate Node processes: 6 claims in total, no host twice", async function () {
        const tag = uniqueTag("xproc");
        const nodes = await pool(tag, 6);
        const worker = path.join(__dirname, "race-worker.js");
        const spawn = (prefix: string) => run(process.execPath, [worker, ironic!.url, NS, "pool", tag, prefix, "5"], { timeout: 300_000 });
        const [a, b] = await Promise.all([spawn(`${tag}-a`), spawn(`${tag}-b`)]);
        type Result = { machine: string; ok: boolean; node?: string; allocation?: string; error?: string; kind?: string };
        const results: Result[] = [...JSON.parse(a.stdout), ...JSON.parse(b.stdout)];

        const winners = results.filter((r) => r.ok);
        const losers = results.filter((r) => !r.ok);
        expect(winners).to.have.length(6);
        expect(losers).to.have.length(4);
        expect(new Set(winners.map((w) => w.node)).size).to.equal(6);
        expect(winners.map((w) => w.node).sort()).to.deep.equal(nodes.map((n) => n.uuid).sort());
        for (const l of losers) {
            expect(l.kind).to.equal("NoHostAvailableError");
            expect(l.error).to.include("matched 6 of");
        }
        const allocations = await ourAllocations(results.map((r) => r.machine));
        expect(allocations.map((x) => x.uuid).sort()).to.deep.equal(winners.map((w) => w.allocation).sort());
    });

    it("released hosts go back to the pool and a new claim gets them", async function () {
        const tag = uniqueTag("release");
        const nodes = await pool(tag, 2);
        const sel = { matchLabels: { pool: tag } };
        const first = await Promise.all([claimHost(client, request(`${tag}-m0`, sel)), claimHost(client, request(`${tag}-m1`, sel))]);
        const noRoom = await claimHost(client, request(`${tag}-m2`, sel)).catch((e: Error) => e);
        expect(noRoom).to.be.instanceOf(NoHostAvailableError);

        await releaseClaim(client, first[0].allocation.uuid);
        const freed = await client.getNode(first[0].node.uuid);
        expect(freed.allocation_uuid).to.equal(null);
        expect(freed.instance_uuid).to.equal(null);
        expect(freed.provision_state).to.equal("available");
        expect(await client.findAllocation(first[0].allocation.uuid)).to.equal(undefined);

        const again = await claimHost(client, request(`${tag}-m2`, sel));
        expect(again.node.uuid).to.equal(first[0].node.uuid);
        expect(nodes.map((n) => n.uuid)).to.include(again.node.uuid);
        await releaseClaim(client, first[1].allocation.uuid);
        await releaseClaim(client, again.allocation.uuid);
        await releaseClaim(client, again.allocation.uuid); // idempotent
    });

    it("a selector that matches nothing says 0 matched and leaves no allocation behind", async function () {
        const tag = uniqueTag("none");
        await pool(tag, 1);
        const machine = `${tag}-m0`;
        const err = await claimHost(client, request(machine, { matchLabels: { pool: tag, role: "gpu" } })).catch((e: Error) => e);
        expect(err).to.be.instanceOf(NoHostAvailableError);
        expect((err as Error).message).to.include(`selector pool=${tag},role=gpu in namespace ${NS} matched 0 of`);
        expect(await ourAllocations([machine])).to.have.length(0);
    });

    it("explains each matched host that is not eligible (maintenance, state, claimed)", async function () {
        const tag = uniqueTag("why");
        const [h0, h1, h2] = await pool(tag, 3);
        await client.setMaintenance(h0.uuid, "disk swap");
        await client.setProvisionState(h1.uuid, "manage");
        await client.waitForProvisionState(h1.uuid, "manageable", { timeoutMs: 60_000 });
        const holder = await claimHost(client, request(`${tag}-holder`, { matchLabels: { pool: tag } }));
        expect(holder.node.uuid).to.equal(h2.uuid);

        const err = (await claimHost(client, request(`${tag}-m0`, { matchLabels: { pool: tag } })).catch((e: Error) => e)) as Error;
        expect(err).to.be.instanceOf(NoHostAvailableError);
        expect(err.message).to.include("matched 3 of");
        expect(err.message).to.include(`${NS}/${tag}-h0 (node ${h0.uuid}): in maintenance (disk swap)`);
        expect(err.message).to.include(`${NS}/${tag}-h1 (node ${h1.uuid}): Ironic provision state is manageable, not available`);
        expect(err.message).to.include(`${NS}/${tag}-h2 (node ${h2.uuid}): already claimed by allocation ${NS}~${tag}-holder (${holder.allocation.uuid})`);
        await client.unsetMaintenance(h0.uuid);
        await releaseClaim(client, holder.allocation.uuid);
    });

    it("prefers the failure domain, then falls back to other hosts", async function () {
        const tag = uniqueTag("fd");
        const nodes = await pool(tag, 4, (i) => ({ [FAILURE_DOMAIN_LABEL]: i < 2 ? "rack-a" : "rack-b" }));
        const inB = new Set(nodes.slice(2).map((n) => n.uuid));
        const sel = { matchLabels: { pool: tag } };
        const claims: Claim[] = [];
        for (let i = 0; i < 3; i++) claims.push(await claimHost(client, request(`${tag}-m${i}`, sel, { failureDomain: "rack-b" })));
        expect(inB.has(claims[0].node.uuid)).to.equal(true);
        expect(inB.has(claims[1].node.uuid)).to.equal(true);
        expect(inB.has(claims[2].node.uuid)).to.equal(false); // rack-b is full: a rack-a host
        for (const c of claims) await releaseClaim(client, c.allocation.uuid);
    });

    it("a re-run of the same Machine reuses its claim; another spec of it gets a second name", async function () {
        const tag = uniqueTag("rerun");
        await pool(tag, 2);
        const sel = { matchLabels: { pool: tag } };
        const first = await claimHost(client, request(`${tag}-m0`, sel));
        const again = await claimHost(client, request(`${tag}-m0`, sel));
        expect(again.reused).to.equal(true);
        expect(again.allocation.uuid).to.equal(first.allocation.uuid);

        // The replacement of the same Machine (new spec) while the old one still holds its host.
        const next = await claimHost(client, { ...request(`${tag}-m0`, sel), owner: { namespace: NS, machine: `${tag}-m0`, specHash: "spec2" } });
        expect(next.allocation.name).to.equal(`${NS}~${tag}-m0~spec2`);
        expect(next.node.uuid).to.not.equal(first.node.uuid);
        // The first allocation is left in place, and the operator is told which, and how to
        // release it should no generation in the stack use it (a create killed before Pulumi recorded it).
        expect(again.passedOver).to.deep.equal([]);
        expect(next.passedOver.map((a) => a.uuid)).to.deep.equal([first.allocation.uuid]);
        const note = passedOverNote({ namespace: NS, machine: `${tag}-m0` }, next.passedOver[0]);
        expect(note).to.contain(`baremetal allocation delete ${first.allocation.uuid}`).and.to.contain(`baremetal node undeploy ${first.node.uuid}`);
        expect((await client.getAllocation(first.allocation.uuid)).node_uuid).to.equal(first.node.uuid);
        await releaseClaim(client, first.allocation.uuid);
        await releaseClaim(client, next.allocation.uuid);
    });

    it("claims one named host, and says why when it is taken", async function () {
        const tag = uniqueTag("named");
        const [h0] = await pool(tag, 2);
        const claim = await claimHost(client, { ...request(`${tag}-m0`, undefined), host: `${tag}-h0` });
        expect(claim.node.uuid).to.equal(h0.uuid);
        expect(claim.hostName).to.equal(`${tag}-h0`);
        const err = (await claimHost(client, { ...request(`${tag}-m1`, undefined), host: `${tag}-h0` }).catch((e: Error) => e)) as Error;
        expect(err).to.be.instanceOf(NoHostAvailableError);
        expect(err.message).to.include(`host ${NS}/${tag}-h0 matched 1 of`);
        expect(err.message).to.include(`already claimed by allocation ${NS}~${tag}-m0`);
        await releaseClaim(client, claim.allocation.uuid);
    });

    it("the same Machine name declared by another owner (another stack) is refused, never shared", async function () {
        const tag = uniqueTag("owner");
        await pool(tag, 2);
        const sel = { matchLabels: { pool: tag } };
        const mine = await claimHost(client, { ...request(`${tag}-m0`, sel), owner: { namespace: NS, machine: `${tag}-m0`, specHash: "s", owner: "proj/a" } });
        const err = (await claimHost(client, {
            ...request(`${tag}-m0`, sel),
            owner: { namespace: NS, machine: `${tag}-m0`, specHash: "s", owner: "proj/b" },
        }).catch((e: Error) => e)) as Error;
        expect(err).to.be.instanceOf(Error);
        expect(err.message).to.include(`allocation ${NS}~${tag}-m0`);
        expect(err.message).to.include("belongs to proj/a, not to proj/b");
        expect((await ourAllocations([`${tag}-m0`])).map((a) => a.uuid)).to.deep.equal([mine.allocation.uuid]);
        await releaseClaim(client, mine.allocation.uuid);
    });
});

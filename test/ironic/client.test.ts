// The Ironic client against a real Ironic (fake hardware): the one started by the root hook
// (IRONIC_URL), plus one extra Ironic with http_basic auth and slow fake power for the auth and
// node-lock tests. No mocks: every assertion is about what Ironic really did or said.

import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { compareMicroversions, IronicClient, IronicError, Node, PREFERRED_MICROVERSION } from "../../provider/ironic";
import { RunningIronic, startIronic, stopIronic } from "../../local/ironic";
import { findFreePort } from "../../local/proc";
import { startExtraIronic } from "../support/hooks";
import { startFlakyProxy } from "./flaky-proxy";
import * as wait from "../../provider/ironic/wait";
import { makeTestPki, startTlsProxy } from "./tls-proxy";

const FAKE_INTERFACES = {
    driver: "fake-hardware",
    boot_interface: "fake",
    deploy_interface: "fake",
    inspect_interface: "fake",
    management_interface: "fake",
    power_interface: "fake",
    bios_interface: "fake",
    console_interface: "fake",
    raid_interface: "fake",
    rescue_interface: "fake",
    storage_interface: "fake",
    vendor_interface: "fake",
};

function uniqueName(prefix: string): string {
    return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

async function expectIronicError(promise: Promise<unknown>): Promise<IronicError> {
    try {
        await promise;
    } catch (err) {
        expect(err).to.be.instanceOf(IronicError);
        return err as IronicError;
    }
    throw new Error("expected an IronicError, but the call succeeded");
}

/** Nodes created by a test, deleted afterwards whatever state they are in. */
class NodeJanitor {
    private readonly nodes: Array<{ client: IronicClient; id: string }> = [];
    track(client: IronicClient, id: string): string {
        this.nodes.push({ client, id });
        return id;
    }
    async cleanup(): Promise<void> {
        for (const { client, id } of this.nodes.splice(0)) {
            const node = await client.findNode(id);
            if (!node) continue;
            if (node.allocation_uuid) await client.deleteAllocation(node.allocation_uuid);
            if (node.provision_state === "active") {
                await client.setProvisionState(id, "deleted");
                await client.waitForProvisionState(id, "available", { timeoutMs: 60_000 });
            }
            if (node.maintenance) await client.unsetMaintenance(id);
            await client.deleteNode(id);
        }
    }
}

async function createFakeNode(client: IronicClient, janitor: NodeJanitor, name: string, extra: Partial<Node> = {}): Promise<Node> {
    const node = await client.createNode({ name, ...FAKE_INTERFACES, ...extra });
    janitor.track(client, node.uuid);
    return node;
}

/** enroll → manageable → available, powered off (allocations only consider nodes with a known power state). */
async function makeAvailable(client: IronicClient, id: string): Promise<Node> {
    await client.setProvisionState(id, "manage");
    await client.waitForProvisionState(id, "manageable", { timeoutMs: 60_000 });
    await client.setProvisionState(id, "provide");
    await client.waitForProvisionState(id, "available", { timeoutMs: 60_000 });
    await client.setPowerState(id, "power off");
    return client.waitForPowerState(id, "power off", { timeoutMs: 60_000 });
}

describe("IronicClient against a real Ironic", function () {
    this.timeout(300_000);
    let client: IronicClient;
    const janitor = new NodeJanitor();

    before(async () => {
        expect(process.env.IRONIC_URL, "IRONIC_URL (set by the root hook)").to.be.a("string");
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    afterEach(() => janitor.cleanup());
    after(() => client?.close());

    it("negotiates the newest microversion both sides know and refuses one above the server's", async () => {
        // The local Ironic (39.0.0) offers up to 1.115; the client speaks the newest it knows, 1.82.
        expect(client.apiVersion).to.equal(PREFERRED_MICROVERSION);
        expect(compareMicroversions(client.serverVersions.max, "1.89")).to.be.at.least(0);
        const above = `1.${Number(client.serverVersions.max.split(".")[1]) + 1}`;
        const before = client.stats.requests;
        const err = await expectIronicError(client.request("GET", "/v1/nodes", { microversion: above }));
        expect(err.status).to.equal(406);
        expect(err.message).to.contain(above).and.contain(client.serverVersions.max);
        expect(err.message).to.not.contain("error_message");
        expect(client.stats.requests - before).to.equal(1);
    });

    it("drives a node through enrol → manage → inspect → provide → power off → deploy → rebuild → undeploy → delete", async () => {
        const name = uniqueName("lifecycle");
        const requestsAtStart = client.stats.requests;
        const created = await createFakeNode(client, janitor, name, { resource_class: "baremetal", extra: { test: "lifecycle" } });
        expect(created).to.include({ name, provision_state: "enroll", driver: "fake-hardware" });
        expect((await client.getNode(created.uuid)).name).to.equal(name);

        await client.setProvisionState(name, "manage");
        await client.waitForProvisionState(name, "manageable", { timeoutMs: 60_000 });

        const seen: string[] = [];
        await client.setProvisionState(name, "inspect");
        await client.waitForProvisionState(name, "manageable", {
            timeoutMs: 60_000,
            onProgress: (n) => seen.push(n.provision_state),
        });
        expect(seen[0]).to.match(/inspect/); // the hook's Ironic has a 1 s fake inspect delay

        await client.setProvisionState(name, "provide");
        await client.waitForProvisionState(name, "available", { timeoutMs: 60_000 });
        await client.setPowerState(name, "power off");
        const off = await client.waitForPowerState(name, "power off", { timeoutMs: 60_000 });
        expect(off.power_state).to.equal("power off");

        await client.patchNode(name, [{ op: "add", path: "/instance_info/image_source", value: "http://127.0.0.1:8088/image.qcow2" }]);
        const deploySeen: string[] = [];
        await client.setProvisionState(name, "active", {
            configDrive: { meta_data: { hostname: name }, user_data: "#cloud-config\nruncmd: []\n", network_data: { links: [], networks: [], services: [] } },
        });
        const active = await client.waitForProvisionState(name, "active", {
            timeoutMs: 60_000,
            label: `deploy ${name}`,
            onProgress: (n) => deploySeen.push(n.provision_state),
        });
        expect(deploySeen).to.include("deploying");
        expect(active.provision_state).to.equal("active");
        expect(active.instance_info).to.have.property("configdrive"); // Ironic masks it, but it is there

        await client.setProvisionState(name, "rebuild");
        const rebuilt = await client.waitForProvisionState(name, "active", { timeoutMs: 60_000 });
        expect(rebuilt.provision_state).to.equal("active");

        await client.setProvisionState(name, "deleted");
        const undeployed = await client.waitForProvisionState(name, "available", { timeoutMs: 60_000 });
        expect(undeployed.instance_info).to.not.have.property("configdrive");

        await client.deleteNode(name);
        // Keep the API cheap: the whole lifecycle above, waits included, stays well within the benchmark's budget.
        const used = client.stats.requests - requestsAtStart;
        process.stderr.write(`      (full lifecycle incl. inspect and rebuild: ${used} Ironic API requests)\n`);
        expect(used).to.be.at.most(50);
        expect(await client.findNode(name)).to.equal(undefined);
        const err = await expectIronicError(client.getNode(name));
        expect(err.status).to.equal(404);
        expect(err.message).to.contain(name).and.contain("could not be found");
    });

    it("lists nodes with filters, fields and pagination", async () => {
        const rc = uniqueName("rc-list");
        const names = [uniqueName("list-a"), uniqueName("list-b"), uniqueName("list-c")];
        for (const n of names) await createFakeNode(client, janitor, n, { resource_class: rc });
        const listed = await client.listNodes({ resource_class: rc });
        expect(listed.map((n) => n.name).sort()).to.deep.equal([...names].sort());
        expect(listed[0]).to.have.property("driver_info"); // detail

        const slim = await client.listNodes({ resource_class: rc, fields: ["uuid", "name"] });
        expect(
            Object.keys(slim[0])
                .filter((k) => k !== "links")
                .sort(),
        ).to.deep.equal(["name", "uuid"]);

        // Ironic pages with `limit`; the client must follow `next` to see all three.
        const paged = await client.request("GET", `/v1/nodes?resource_class=${rc}&limit=1`);
        expect(paged.nodes).to.have.length(1);
        expect(paged.next).to.be.a("string");
        const before = client.stats.requests;
        const all = await client.listNodes({ resource_class: rc, limit: 1 });
        expect(all.map((n) => n.name).sort()).to.deep.equal([...names].sort());
        expect(client.stats.requests - before).to.be.at.least(3); // one request per page
    });

    it("creates, lists and deletes ports", async () => {
        const node = await createFakeNode(client, janitor, uniqueName("ports"));
        const mac =
            "52:54:00:" +
            [0, 0, 0]
                .map(() =>
                    Math.floor(Math.random() * 256)
                        .toString(16)
                        .padStart(2, "0"),
                )
                .join(":");
        const port = await client.createPort({ node_uuid: node.uuid, address: mac, pxe_enabled: true, extra: { nic: "eth0" } });
        expect(port).to.include({ address: mac, node_uuid: node.uuid, pxe_enabled: true });
        expect((await client.listPorts({ node: node.name! })).map((p) => p.uuid)).to.deep.equal([port.uuid]);
        expect((await client.listPorts({ address: mac })).map((p) => p.uuid)).to.deep.equal([port.uuid]);
        const dup = await expectIronicError(client.createPort({ node_uuid: node.uuid, address: mac }));
        expect(dup.status).to.equal(409);
        expect(dup.message).to.contain(mac);
        await client.deletePort(port.uuid);
        expect(await client.listPorts({ node: node.uuid })).to.deep.equal([]);
    });

    it("sets, adds and removes traits", async () => {
        const node = await createFakeNode(client, janitor, uniqueName("traits"));
        await client.setTraits(node.uuid, ["CUSTOM_GPU", "CUSTOM_RACK_A"]);
        expect((await client.getTraits(node.uuid)).sort()).to.deep.equal(["CUSTOM_GPU", "CUSTOM_RACK_A"]);
        await client.addTrait(node.uuid, "CUSTOM_SSD");
        await client.removeTrait(node.uuid, "CUSTOM_GPU");
        expect((await client.getTraits(node.uuid)).sort()).to.deep.equal(["CUSTOM_RACK_A", "CUSTOM_SSD"]);
        expect((await client.getNode(node.uuid)).traits.sort()).to.deep.equal(["CUSTOM_RACK_A", "CUSTOM_SSD"]);
        const bad = await expectIronicError(client.addTrait(node.uuid, "not a trait"));
        expect(bad.status).to.equal(400);
    });

    it("sets and unsets maintenance and validates a node", async () => {
        const node = await createFakeNode(client, janitor, uniqueName("maint"));
        await client.setMaintenance(node.uuid, "replacing a DIMM");
        expect(await client.getNode(node.uuid)).to.include({ maintenance: true, maintenance_reason: "replacing a DIMM" });
        expect((await client.listNodes({ maintenance: true })).map((n) => n.uuid)).to.include(node.uuid);
        await client.unsetMaintenance(node.uuid);
        expect(await client.getNode(node.uuid)).to.include({ maintenance: false });
        const validation = await client.validateNode(node.uuid);
        expect(validation.power.result).to.equal(true);
        expect(validation.deploy.result).to.equal(true);
        expect(await client.getInventory(node.uuid)).to.equal(undefined); // fake inspection records none
        expect((await expectIronicError(client.getInventory(uniqueName("missing")))).status).to.equal(404);
    });

    it("claims a node with an allocation among candidates; a second claim fails clearly", async () => {
        const rc = uniqueName("rc-alloc");
        const node = await createFakeNode(client, janitor, uniqueName("alloc"), { resource_class: rc });
        await makeAvailable(client, node.uuid);
        const first = uniqueName("default~machine-a");
        const second = uniqueName("default~machine-b");
        try {
            await client.createAllocation({ name: first, resource_class: rc, candidate_nodes: [node.name!], extra: { machine: "a" } });
            const claimed = await client.waitForAllocation(first, { timeoutMs: 30_000 });
            expect(claimed).to.include({ state: "active", node_uuid: node.uuid });
            expect((await client.getNode(node.uuid)).allocation_uuid).to.equal(claimed.uuid);
            expect((await client.listAllocations({ node: node.uuid })).map((a) => a.name)).to.deep.equal([first]);

            await client.createAllocation({ name: second, resource_class: rc, candidate_nodes: [node.uuid] });
            const err = await expectIronicError(client.waitForAllocation(second, { timeoutMs: 30_000 }));
            expect(err.lastError).to.be.a("string").and.not.empty;
            expect(err.message).to.contain(second).and.contain("did not become active").and.contain(err.lastError!);
        } finally {
            await client.deleteAllocation(second).catch(() => undefined);
            await client.deleteAllocation(first).catch(() => undefined);
        }
        expect(await client.findAllocation(first)).to.equal(undefined);
        expect((await client.getNode(node.uuid)).allocation_uuid).to.equal(null);
    });

    it("gives a readable error with Ironic's faultstring for a bad transition", async () => {
        const name = uniqueName("badmove");
        await createFakeNode(client, janitor, name);
        const err = await expectIronicError(client.setProvisionState(name, "active"));
        expect(err.status).to.equal(400);
        expect(err.faultstring).to.match(/can not be performed .* "enroll"/);
        expect(err.operation).to.equal(`set provision state "active" on node ${name}`);
        expect(err.node).to.equal(name);
        expect(err.requestId).to.match(/^req-/);
        expect(err.message).to.contain(`set provision state "active" on node ${name} failed`).and.contain(err.faultstring!);
        expect(err.message).to.not.match(/faultcode|\\"/);
    });

    it("stops waiting at once when the node rests in another state, naming state and node", async () => {
        const name = uniqueName("wrongwait");
        await createFakeNode(client, janitor, name);
        await client.setProvisionState(name, "manage");
        await client.waitForProvisionState(name, "manageable", { timeoutMs: 60_000 });
        const started = Date.now();
        const err = await expectIronicError(client.waitForProvisionState(name, "available", { timeoutMs: 60_000, label: "provision host default~x" }));
        expect(Date.now() - started).to.be.lessThan(2_000);
        expect(err.provisionState).to.equal("manageable");
        expect(err.message).to.contain("provision host default~x").and.contain(name).and.contain('"manageable"').and.contain("last_error");
    });

    it("fails the wait with last_error when a BMC does not answer (node falls back to enroll)", async () => {
        const name = uniqueName("deadbmc");
        const deadPort = await findFreePort();
        const node = await client.createNode({
            name,
            driver: "ipmi",
            driver_info: { ipmi_address: "127.0.0.1", ipmi_port: deadPort, ipmi_username: "admin", ipmi_password: "not-logged" },
        });
        janitor.track(client, node.uuid);
        await client.setProvisionState(name, "manage");
        const err = await expectIronicError(client.waitForProvisionState(name, "manageable", { timeoutMs: 120_000 }));
        expect(err.provisionState).to.equal("enroll");
        expect(err.lastError).to.match(/power/i);
        expect(err.message).to.contain(name).and.contain(err.lastError!);
        expect(err.message).to.not.contain("not-logged");
    });

    it("reports a failure within the poll cap however long the transition took before, with a progress line meanwhile", async () => {
        // Teach the wait that this kind of transition (verifying → manageable) takes 20 minutes,
        // then let the BMC check fail after a few seconds: the failure must be reported at most
        // MAX_POLL_MS after Ironic shows it, not when the learnt 20 minutes are over.
        const kind = "provision verifying→manageable";
        const learnt = wait.learnedTransitions.get(kind);
        wait.learnedTransitions.set(kind, 20 * 60_000);
        try {
            const name = uniqueName("failfast");
            const node = await client.createNode({
                name,
                driver: "ipmi",
                driver_info: { ipmi_address: "127.0.0.1", ipmi_port: await findFreePort(), ipmi_username: "admin", ipmi_password: "not-logged" },
            });
            janitor.track(client, node.uuid);
            await client.setProvisionState(name, "manage");
            const seen: Array<{ state: string; ms: number }> = [];
            const err = await expectIronicError(
                client.waitForProvisionState(name, "manageable", {
                    timeoutMs: 120_000,
                    progressEveryMs: 1_000,
                    onProgress: (n, ms) => seen.push({ state: n.provision_state, ms }),
                }),
            );
            const reportedAt = Date.now();
            expect(err.provisionState).to.equal("enroll");
            const failedAt = Date.parse((await client.getNode(node.uuid)).provision_updated_at!);
            expect(reportedAt - failedAt, "ms from Ironic's failure to our report").to.be.lessThan(wait.MAX_POLL_MS + 1_500);
            // The same state reported again while nothing changed: a heartbeat, not only changes.
            const verifying = seen.filter((s) => s.state === "verifying");
            expect(verifying.length, JSON.stringify(seen)).to.be.greaterThan(1);
        } finally {
            wait.learnedTransitions.set(kind, learnt);
        }
    });

    it("connects from OS_ENDPOINT and from a clouds.yaml named by OS_CLOUD", async () => {
        const fromEnv = await IronicClient.connect({}, { OS_ENDPOINT: process.env.IRONIC_URL, OS_AUTH_TYPE: "none" });
        try {
            expect(fromEnv.url).to.equal(client.url);
            expect(await fromEnv.listNodes({ fields: ["uuid"] })).to.be.an("array");
        } finally {
            await fromEnv.close();
        }
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "ironic-clouds-"));
        try {
            fs.mkdirSync(path.join(home, ".config", "openstack"), { recursive: true });
            fs.writeFileSync(
                path.join(home, ".config", "openstack", "clouds.yaml"),
                `clouds:\n  local-ironic:\n    auth_type: none\n    baremetal_endpoint_override: ${process.env.IRONIC_URL}/v1\n`,
            );
            const fromCloud = await IronicClient.connect({}, { HOME: home, OS_CLOUD: "local-ironic" });
            try {
                expect(fromCloud.url).to.equal(client.url);
                const name = uniqueName("cloudsyaml");
                await createFakeNode(fromCloud, janitor, name);
                expect((await client.getNode(name)).name).to.equal(name);
            } finally {
                await janitor.cleanup();
                await fromCloud.close();
            }
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });

    it("reports an unreachable Ironic clearly after retrying within its deadline", async () => {
        const port = await findFreePort();
        const started = Date.now();
        const err = await expectIronicError(IronicClient.connect({ url: `http://127.0.0.1:${port}`, retryDeadlineMs: 1_500 }, {}));
        expect(Date.now() - started).to.be.lessThan(5_000);
        expect(err.message).to.contain(`cannot reach Ironic at http://127.0.0.1:${port}`).and.contain("ECONNREFUSED");
    });

    it("by default retries an unreachable Ironic for a minute, then fails (README: PULUMI_METAL3_IRONIC_RETRY_SECONDS changes that window)", async function () {
        this.timeout(180_000);
        const port = await findFreePort();
        const started = Date.now();
        // No retryDeadlineMs and an environment without PULUMI_METAL3_IRONIC_RETRY_SECONDS: the default window.
        const err = await expectIronicError(IronicClient.connect({ url: `http://127.0.0.1:${port}` }, {}));
        const took = Date.now() - started;
        // It gives up once the next back-off (at most 5 s) would pass the minute: between 55 and 60 s in.
        expect(took).to.be.at.least(54_000).and.lessThan(90_000);
        expect(err.message).to.contain(`cannot reach Ironic at http://127.0.0.1:${port}`).and.contain("within 60 s");
        const windowed = Date.now();
        await expectIronicError(IronicClient.connect({ url: `http://127.0.0.1:${port}` }, { PULUMI_METAL3_IRONIC_RETRY_SECONDS: "2" }));
        expect(Date.now() - windowed).to.be.lessThan(10_000);
    });

    it("bounds each request by timeoutMs", async () => {
        // A listener that accepts connections and never answers: a hung Ironic.
        const accepted: net.Socket[] = [];
        const silent = net.createServer((socket) => accepted.push(socket));
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const port = (silent.address() as net.AddressInfo).port;
        const started = Date.now();
        try {
            const err = await expectIronicError(IronicClient.connect({ url: `http://127.0.0.1:${port}`, timeoutMs: 300, retryDeadlineMs: 1_000 }, {}));
            expect(Date.now() - started).to.be.lessThan(4_000);
            expect(err.message)
                .to.contain(`cannot reach Ironic at http://127.0.0.1:${port}`)
                .and.match(/timeout/i);
        } finally {
            accepted.forEach((socket) => socket.destroy());
            await new Promise((resolve) => silent.close(resolve));
        }
    });

    it("speaks TLS: trusts a CA file, presents a client certificate, refuses an unknown CA unless insecure", async () => {
        const pki = makeTestPki();
        const serverOnly = await startTlsProxy(process.env.IRONIC_URL!, pki, false);
        const mutual = await startTlsProxy(process.env.IRONIC_URL!, pki, true);
        const quick = { retryDeadlineMs: 1_000 };
        try {
            const trusted = await IronicClient.connect({ url: serverOnly.url, caFile: pki.caFile, ...quick }, {});
            expect(await trusted.listNodes({ fields: ["uuid"] })).to.be.an("array");
            await trusted.close();

            const untrusted = await expectIronicError(IronicClient.connect({ url: serverOnly.url, caFile: pki.otherCaFile, ...quick }, {}));
            expect(untrusted.message).to.contain(`cannot reach Ironic at ${serverOnly.url}`).and.contain(`does not verify against ${pki.otherCaFile}`);

            const insecure = await IronicClient.connect({ url: serverOnly.url, insecure: true, ...quick }, {});
            expect(insecure.apiVersion).to.equal("1.82");
            await insecure.close();

            const withCert = await IronicClient.connect(
                { url: mutual.url, caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey, ...quick },
                {},
            );
            expect(await withCert.listNodes({ fields: ["uuid"] })).to.be.an("array");
            await withCert.close();

            const withoutCert = await expectIronicError(IronicClient.connect({ url: mutual.url, caFile: pki.caFile, ...quick }, {}));
            expect(withoutCert.message).to.contain(`cannot reach Ironic at ${mutual.url}`).and.contain("client certificate");
        } finally {
            await serverOnly.close();
            await mutual.close();
            fs.rmSync(pki.dir, { recursive: true, force: true });
        }
    });

    it("does not create a node twice when the connection is lost after Ironic created it", async () => {
        const proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        const flaky = await IronicClient.connect({ url: proxy.url }, {});
        try {
            const name = uniqueName("flaky");
            proxy.dropResponses(/^POST \/v1\/nodes /);
            const before = flaky.stats.requests;
            const node = await flaky.createNode({ name, ...FAKE_INTERFACES });
            janitor.track(client, node.uuid);
            expect(proxy.dropped).to.equal(1);
            expect(node.name).to.equal(name);
            // the lost POST, then a GET by name that found it; no second POST (it would have failed: name taken)
            expect(flaky.stats.requests - before).to.equal(2);
            expect((await client.listNodes({ fields: ["name"] })).filter((n) => n.name === name)).to.have.length(1);

            // A patch lost after it took effect: the node shows it, so it is not sent again.
            proxy.dropResponses(/^PATCH /);
            const patched = await flaky.patchNode(name, [{ op: "add", path: "/extra/flaky", value: "yes" }]);
            expect(patched.extra.flaky).to.equal("yes");
            expect(proxy.dropped).to.equal(2);
        } finally {
            await flaky.close();
            await proxy.close();
        }
    });

    it("rides out 503s: repeats reads, and repeats a change only after looking that the 503 hid no effect", async () => {
        const proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        const flaky = await IronicClient.connect({ url: proxy.url }, {});
        const sent = (line: RegExp) => proxy.forwarded.filter((l) => line.test(l)).length;
        try {
            const name = uniqueName("unavailable");
            // A read answered 503 twice (never reaching Ironic) is simply repeated.
            const node = await createFakeNode(client, janitor, name);
            proxy.answer503(/^GET \/v1\/nodes\//, { count: 2, forward: false });
            let before = { ...flaky.stats };
            expect((await flaky.getNode(name)).uuid).to.equal(node.uuid);
            expect(proxy.answered503).to.equal(2);
            expect(flaky.stats.retries - before.retries).to.equal(2);

            // A create that Ironic carried out before the proxy answered 503: found, not sent again.
            const created = uniqueName("unavailable-post");
            proxy.answer503(/^POST \/v1\/nodes /, { forward: true });
            const made = await flaky.createNode({ name: created, ...FAKE_INTERFACES });
            janitor.track(client, made.uuid);
            expect(made.name).to.equal(created);
            expect(sent(/^POST \/v1\/nodes /), "POSTs Ironic received").to.equal(1);
            expect((await client.listNodes({ fields: ["name"] })).filter((n) => n.name === created)).to.have.length(1);

            // A provision-state change carried out before the 503: the node is on its way, so it is not asked twice.
            const provision = new RegExp(`^PUT /v1/nodes/${name}/states/provision `);
            proxy.answer503(provision, { forward: true });
            await flaky.setProvisionState(name, "manage");
            expect(sent(provision), "provision PUTs Ironic received").to.equal(1);
            expect((await client.waitForProvisionState(name, "manageable", { timeoutMs: 60_000 })).provision_state).to.equal("manageable");

            // One that never reached Ironic: the look shows nothing happened, so it is sent again.
            proxy.answer503(provision, { forward: false });
            before = { ...flaky.stats };
            await flaky.setProvisionState(name, "provide");
            expect(sent(provision)).to.equal(2);
            expect(flaky.stats.retries - before.retries).to.equal(1);
            expect((await client.waitForProvisionState(name, "available", { timeoutMs: 60_000 })).provision_state).to.equal("available");

            // A patch that removes a key, carried out before the 503: repeating it would fail (nothing to remove).
            await client.patchNode(name, [{ op: "add", path: "/extra/gone", value: "soon" }]);
            proxy.answer503(/^PATCH /, { forward: true });
            const patched = await flaky.patchNode(name, [{ op: "remove", path: "/extra/gone" }]);
            expect(patched.extra).to.not.have.property("gone");
            expect(sent(/^PATCH /)).to.equal(1);

            // A reboot carried out before the 503 is never repeated: either the node shows it under
            // way (done), or nobody can tell (an error that says so, as the fake one may be over already).
            await flaky.setPowerState(name, "power on");
            await client.waitForPowerState(name, "power on", { timeoutMs: 30_000 });
            const power = new RegExp(`^PUT /v1/nodes/${name}/states/power `);
            proxy.answer503(power, { forward: true });
            const outcome = await flaky.setPowerState(name, "rebooting").then(
                () => undefined,
                (e: Error) => e,
            );
            if (outcome) expect(outcome.message).to.contain("may have taken effect").and.contain(name);
            expect(proxy.answered503).to.equal(7);
            expect(sent(power)).to.equal(2); // the power on, then the one reboot
        } finally {
            await flaky.close();
            await proxy.close();
        }
    });

    describe("with http_basic auth and slow fake power (a second Ironic)", () => {
        // One extra Ironic for both needs: each costs seconds to start and ~150 MB on a small machine.
        let url: string;
        let running: RunningIronic;
        const credentials = { username: "operator", password: uniqueName("pw") };
        const fakeDelays = { power: "3", deploy: "0", inspect: "0", boot: "0" };
        let authed: IronicClient;

        before(async function () {
            this.timeout(180_000);
            running = await startExtraIronic({ basicAuth: credentials, fakeDelays });
            url = running.url;
            authed = await IronicClient.connect({ url, authType: "http_basic", ...credentials }, {});
        });
        after(() => authed?.close());

        it("is accepted with the right password and refused with a wrong one", async () => {
            expect(await authed.listNodes()).to.be.an("array");
            const wrong = await IronicClient.connect({ url, authType: "http_basic", username: credentials.username, password: "wrong" }, {});
            try {
                const err = await expectIronicError(wrong.listNodes());
                expect(err.status).to.equal(401);
                expect(err.faultstring).to.match(/username or password/i);
                expect(err.message).to.contain("list nodes failed").and.contain("http_basic").and.contain('"operator"');
                expect(err.message).to.not.contain("wrong");
            } finally {
                await wrong.close();
            }
            const none = await IronicClient.connect({ url, authType: "none" }, {});
            try {
                const anonymous = await expectIronicError(none.listNodes());
                expect(anonymous.status).to.equal(401);
                expect(anonymous.message).to.contain("requires authentication");
            } finally {
                await none.close();
            }
        });

        it("retries a node update while a power change holds the node lock", async () => {
            const name = uniqueName("locked");
            const node = await createFakeNode(authed, janitor, name);
            await authed.setPowerState(node.uuid, "power on"); // the fake driver sleeps 3 s holding the lock
            const before = { ...authed.stats };
            const patched = await authed.patchNode(node.uuid, [{ op: "add", path: "/extra/owner", value: "team-a" }]);
            expect(patched.extra.owner).to.equal("team-a");
            expect(authed.stats.retries - before.retries, "409 retries").to.be.greaterThan(0);
            expect(authed.stats.requests - before.requests).to.equal(1 + authed.stats.retries - before.retries);
            const on = await authed.waitForPowerState(node.uuid, "power on", { timeoutMs: 30_000 });
            expect(on.extra.owner).to.equal("team-a");
        });

        it("rides out an Ironic restart: requests made while it is down succeed once it is back", async function () {
            this.timeout(180_000);
            const existing = uniqueName("restart-a");
            await createFakeNode(authed, janitor, existing);
            await stopIronic({ stateDir: running.stateDir, log: () => undefined });
            const before = { ...authed.stats };
            const created = uniqueName("restart-b");
            // Both start while nothing listens (connection refused, or the pooled socket found closed).
            const pendingPatch = authed.patchNode(existing, [{ op: "add", path: "/extra/survived", value: "restart" }]);
            const pendingCreate = authed.createNode({ name: created, ...FAKE_INTERFACES });
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            await startIronic({
                stateDir: running.stateDir,
                port: Number(new URL(url).port),
                basicAuth: credentials,
                fakeDelays,
                install: false,
                log: () => undefined,
            });
            const [patched, node] = await Promise.all([pendingPatch, pendingCreate]);
            janitor.track(authed, node.uuid);
            expect(patched.extra.survived).to.equal("restart");
            expect(node.name).to.equal(created);
            expect(authed.stats.retries - before.retries).to.be.greaterThan(1);
            expect((await authed.listNodes({ fields: ["name"] })).filter((n) => n.name === created)).to.have.length(1);
        });
    });
});

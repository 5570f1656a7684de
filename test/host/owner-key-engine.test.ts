// Keyed owner records (issue 20) under the real `pulumi` CLI (file:// backends), with
// test/host/trust-program: a "pool" stack with its owner key declares hosts, a "machines" stack
// given that key claims them. A node planted with every public marker is not claimed; another
// backend's stack of the same project and stack names (its own key) cannot take the pool's node;
// a pool recorded by an earlier release (plain record on the node, no key id in the state) is
// keyed by the next `pulumi up`, an Ironic extra patch that leaves the servers as they are.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { EXTRA } from "../../provider/host/lifecycle";
import { OWNER_MAC_KEY, verifyOwnerMac } from "../../provider/owner-record";
import { ensureToolchain } from "../../local/toolchain";
import { REPO_ROOT, TestStack } from "../e2e/stack";
import { destroyPoolHosts, FAKE_INTERFACES, uniqueTag } from "../machine/pool";

const PROGRAM = path.join(REPO_ROOT, "test", "host", "trust-program");
const NS = "owner-key-engine";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function fingerprint(n: Node) {
    return {
        name: n.name,
        extra: n.extra,
        driver_info: n.driver_info,
        instance_info: n.instance_info,
        provision_state: n.provision_state,
        power_state: n.power_state,
        allocation_uuid: n.allocation_uuid,
        updated_at: n.updated_at,
    };
}

describe("keyed owner records under the real pulumi engine", function () {
    this.timeout(900_000);
    let client: IronicClient;
    let pool: TestStack;
    let machines: TestStack;
    let twin: TestStack | undefined;
    const tag = uniqueTag("ok");
    const leftovers: Pick<Node, "uuid">[] = [];
    const hostName = `${tag}-h0`;

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
        pool = await TestStack.create(PROGRAM, "pool");
        machines = await pool.sibling("machines");
        for (const s of [pool, machines]) {
            await s.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
            await s.setConfig("namespace", NS);
            await s.setConfig("pool", tag);
        }
        await pool.setOwnerKey(); // `pulumi-metal3 owner-key --set`
        const poolKey = (await pool.must(["config", "get", "pulumi-metal3:ownerKey"])).stdout.trim();
        expect(poolKey).to.match(/^[0-9a-f]{64}$/);
        await machines.setConfig("poolOwnerKey", poolKey, { secret: true });
        await pool.setConfig("hosts", JSON.stringify([{ name: hostName, labels: { pool: tag } }]));
        await pool.must(["up", "--yes", "--skip-preview"]);
    });
    after(async function () {
        for (const s of [machines, twin, pool]) if (s) await s.run(["destroy", "--yes"]);
        if (client) {
            await destroyPoolHosts(client, leftovers);
            await client.close();
        }
    });

    it("the pool stack's config holds its owner key as a secret; its node carries the keyed record", async () => {
        const configFile = fs.readFileSync(path.join(pool.dir, `Pulumi.${pool.stack}.yaml`), "utf8");
        expect(configFile).to.match(/pulumi-metal3:ownerKey:\s*\n\s*secure: /);
        const poolKey = (await pool.must(["config", "get", "pulumi-metal3:ownerKey"])).stdout.trim();
        expect(configFile).to.not.contain(poolKey);
        const node = await client.getNode(`${NS}~${hostName}`);
        expect(verifyOwnerMac([poolKey], node.extra[OWNER_MAC_KEY], node.name!, "trust/pool", hostName)).to.equal("verified");
        expect(JSON.stringify((await pool.exportState()).json)).to.not.contain(poolKey);
    });

    it("a node planted with the pool's markers and a forged plain record is never claimed: the Machine takes the real host, the next one fails naming the planted node as unverified", async () => {
        const planted = await client.createNode({
            name: `${NS}~${tag}-planted`,
            driver: "fake-hardware",
            resource_class: "baremetal",
            ...FAKE_INTERFACES,
            extra: { metal3_labels: { pool: tag }, [EXTRA.managed]: "true", [EXTRA.owner]: "trust/pool", [EXTRA.resource]: `${tag}-planted` },
        });
        leftovers.push(planted);
        await client.setProvisionState(planted.uuid, "manage");
        await client.waitForProvisionState(planted.uuid, "manageable", { timeoutMs: 120_000 });
        await client.setProvisionState(planted.uuid, "provide");
        await client.waitForProvisionState(planted.uuid, "available", { timeoutMs: 120_000 });
        await client.setPowerState(planted.uuid, "power off");
        const before = fingerprint(await client.waitForPowerState(planted.uuid, "power off", { timeoutMs: 120_000 }));

        await machines.setConfig("machines", "2");
        const r = await machines.run(["up", "--yes", "--skip-preview"]);
        const said = r.stdout + r.stderr;
        expect(r.code, said).to.not.equal(0);
        expect(said).to.contain("more host(s) it matched were skipped as unverified");
        expect(said).to.contain(`${NS}/${tag}-planted (node ${planted.uuid}): its owner record has no MAC`);
        expect(fingerprint(await client.getNode(planted.uuid)), "the planted node got neither image nor user data").to.deep.equal(before);
        const real = await client.getNode(`${NS}~${hostName}`);
        expect([real.provision_state, real.instance_info.image_source]).to.deep.equal(["active", "http://images.example/machine.qcow2"]);
        await machines.setConfig("machines", "0");
        await machines.must(["up", "--yes", "--skip-preview"]);
    });

    it("another backend's stack with the same project and stack names, its own owner key, cannot take the pool's node", async () => {
        const twinBackend = fs.mkdtempSync(path.join(REPO_ROOT, ".state", "e2e", "twin-backend-"));
        twin = await TestStack.create(PROGRAM, "pool", twinBackend);
        await twin.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
        await twin.setConfig("namespace", NS);
        await twin.setConfig("pool", tag);
        await twin.setOwnerKey();
        await twin.setConfig("hosts", JSON.stringify([{ name: hostName, labels: { pool: tag } }]));
        const node = await client.getNode(`${NS}~${hostName}`);
        const before = fingerprint(node);
        const r = await twin.run(["up", "--yes", "--skip-preview"]);
        const said = r.stdout + r.stderr;
        expect(r.code, said).to.not.equal(0);
        expect(said).to.contain(`belongs to trust/pool (resource ${hostName}) but its owner record is keyed under key id`);
        expect(said).to.contain("not this stack's ownerKey");
        expect(fingerprint(await client.getNode(node.uuid))).to.deep.equal(before);
        await twin.setConfig("hosts", "[]");
        await twin.must(["up", "--yes", "--skip-preview"]);
    });

    it("migration: the plain record an earlier release left, and its state, are keyed by the next up: an extra patch, the server untouched", async () => {
        // What the earlier release left: the plain record only on the node ...
        const uuid = (await client.getNode(`${NS}~${hostName}`)).uuid;
        await client.patchNode(uuid, [{ op: "remove", path: `/extra/${OWNER_MAC_KEY}` }]);
        const old = await client.getNode(uuid);
        // ... and a state without the record's key id (secretDigests, a secret: edited in clear, imported re-encrypted).
        const exported = JSON.parse((await pool.must(["stack", "export", "--show-secrets"])).stdout);
        let edited = 0;
        for (const r of exported.deployment.resources) {
            const d = r.outputs?.secretDigests;
            if (!r.type.endsWith(":BareMetalHost") || !d || d[SECRET_SIG] === undefined) continue;
            const plain = JSON.parse(d.plaintext);
            delete plain.ownerKeyId;
            r.outputs.secretDigests = { [SECRET_SIG]: d[SECRET_SIG], plaintext: JSON.stringify(plain) };
            edited++;
        }
        expect(edited).to.equal(1);
        const file = path.join(pool.dir, "earlier-release.json");
        fs.writeFileSync(file, JSON.stringify(exported));
        await pool.must(["stack", "import", "--file", file]);
        fs.rmSync(file);

        const steps = await pool.previewSteps();
        expect(steps.get(hostName), JSON.stringify([...steps])).to.equal("update");
        const up = await pool.must(["up", "--yes", "--skip-preview"]);
        expect(up.stdout + up.stderr).to.contain("the owner record on the node will be (re)keyed");
        const now = await client.getNode(uuid);
        const poolKey = (await pool.must(["config", "get", "pulumi-metal3:ownerKey"])).stdout.trim();
        expect(verifyOwnerMac([poolKey], now.extra[OWNER_MAC_KEY], now.name!, "trust/pool", hostName)).to.equal("verified");
        expect([now.provision_state, now.power_state, now.provision_updated_at]).to.deep.equal([
            old.provision_state,
            old.power_state,
            old.provision_updated_at,
        ]);
        const { [OWNER_MAC_KEY]: _mac, ...extraNow } = now.extra;
        expect(extraNow).to.deep.equal(old.extra);
        expect([now.driver_info, now.instance_info]).to.deep.equal([old.driver_info, old.instance_info]);
        await pool.must(["preview", "--expect-no-changes"]);
    });
});

// A Machine's `timeouts.create` is one deadline for claim + deploy + power-on together, not a
// fresh allowance per step. A second Ironic with slow fake deploy and power makes each step take
// seconds. How many depends on the machine's load, so the test first times the three steps of one
// create on this very machine (from its progress lines), then gives a second create a deadline
// between the longest step and their sum: each step fits in it, all three together do not.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { MAX_POLL_MS } from "../../provider/ironic/wait";
import * as handlers from "../../sdk/providers/machine";
import { startExtraIronic } from "../support/hooks";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY, uniqueTag } from "./pool";

const NS = "deadlines";

describe("Machine create deadline (real Ironic, slow fake deploy and power)", function () {
    this.timeout(300_000);
    let url: string;
    let client: IronicClient;
    const created: Node[] = [];

    before(async function () {
        this.timeout(180_000);
        url = (await startExtraIronic({ fakeDelays: { power: "3", deploy: "2", inspect: "0", boot: "0" } })).url;
        client = await IronicClient.connect({ url, authType: "none" });
    });
    after(async function () {
        await destroyPoolHosts(client, created);
        await handlers.closeClients();
        await client.close();
    });

    it("fails at the create deadline when claim + deploy + power-on outlast it, naming host, state and last_error", async function () {
        const tag = uniqueTag("deadline");
        const calibrationTag = `${tag}-cal`;
        created.push(
            ...(await createPoolHosts(client, NS, [
                { name: `${tag}-h0`, labels: { pool: tag } },
                { name: `${calibrationTag}-h0`, labels: { pool: calibrationTag } },
            ])),
        );
        const machineInputs = (pool: string, create: string) => ({
            __provider: "serialized-provider-code",
            name: `${pool}-m`,
            namespace: NS,
            hostSelector: { matchLabels: { pool } },
            image: { url: "http://images.example/v1.qcow2", checksum: "http://images.example/v1.qcow2.sha256", diskFormat: "qcow2" },
            ironic: { url, authType: "none" },
            timeouts: { create, claim: "2m" },
            poolOwnerKeys: [POOL_OWNER_KEY], // the key the fixture pool is enrolled under (./pool.ts)
        });

        // Calibration: one create with a roomy deadline, its steps timed by their progress lines.
        const calibration = await handlers.check({}, machineInputs(calibrationTag, "10m"));
        const marks: { at: number; line: string }[] = [];
        const mark = (line: string) => {
            marks.push({ at: Date.now(), line });
            process.stderr.write(`${line}\n`);
        };
        const t0 = Date.now();
        const calibrated = await handlers.create({}, { ...calibration.inputs, __provider: "serialized-provider-code" }, undefined, { info: mark, warn: mark });
        const tEnd = Date.now();
        const at = (re: RegExp) => marks.find((m) => re.test(m.line))?.at;
        const claimed = at(/claimed host/);
        const active = at(/provisioning: active/);
        expect(claimed, "progress line for the claim").to.be.a("number");
        expect(active, "progress line for the deploy reaching active").to.be.a("number");
        const steps = [claimed! - t0, active! - claimed!, tEnd - active!];
        const longest = Math.max(...steps);
        const sum = steps.reduce((a, b) => a + b, 0);
        expect(sum - longest, `steps ${JSON.stringify(steps)} ms: the others must add seconds to the longest`).to.be.above(3_000);
        const deadlineMs = Math.round((longest + sum) / 2);
        await handlers.remove({}, calibrated.id, calibrated.outs ?? {});

        const inputs = machineInputs(tag, `${deadlineMs}ms`);
        const checked = await handlers.check({}, inputs);
        expect(checked.failures ?? []).to.deep.equal([]);
        const started = Date.now();
        let err: (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
        try {
            await handlers.create({}, { ...checked.inputs, __provider: inputs.__provider });
        } catch (e) {
            err = e as typeof err;
        }
        const elapsed = Date.now() - started;
        expect(err, "create must fail at its deadline (claim, deploy and power-on each fit in it, not all three)").to.not.equal(undefined);
        // At the deadline, not a step's own allowance later (a wait looks at least every MAX_POLL_MS).
        expect(elapsed, err!.message).to.be.within(deadlineMs - 500, deadlineMs + MAX_POLL_MS);
        const node = await client.getNode(created[0].uuid);
        expect(err!.message)
            .to.contain(`host ${NS}/${tag}-h0`)
            .and.contain(node.uuid)
            .and.contain("Ironic provision state")
            .and.contain("last_error")
            .and.contain(`create deadline (timeouts.create, ${Math.round(deadlineMs / 1000)} s, for claim + deploy + power-on)`);
        // Partially created: the claim is kept for the next update (or delete) to finish.
        expect(err!.id).to.be.a("string").and.equal(node.allocation_uuid);
        expect(err!.properties?.nodeUuid).to.equal(node.uuid);
    });
});

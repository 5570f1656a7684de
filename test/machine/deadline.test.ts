// A Machine's `timeouts.create` is one deadline for claim + deploy + power-on together, not a
// fresh allowance per step. A second Ironic with slow fake deploy and power (2 s each) makes every
// step shorter than the deadline while all of them together are longer: on a busy 2-core machine
// the claim took ~1 s, the deploy ~6 s (it powers the node too) and the power-on ~5 s, so each
// fits in 10 s with seconds to spare and the three together do not.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { MAX_POLL_MS } from "../../provider/ironic/wait";
import * as handlers from "../../sdk/providers/machine";
import { startExtraIronic } from "../support/hooks";
import { createPoolHosts, destroyPoolHosts, uniqueTag } from "./pool";

const NS = "deadlines";

describe("Machine create deadline (real Ironic, slow fake deploy and power)", function () {
    this.timeout(300_000);
    let url: string;
    let client: IronicClient;
    const created: Node[] = [];

    before(async function () {
        this.timeout(180_000);
        url = (await startExtraIronic({ fakeDelays: { power: "2", deploy: "2", inspect: "0", boot: "0" } })).url;
        client = await IronicClient.connect({ url, authType: "none" });
    });
    after(async function () {
        await destroyPoolHosts(client, created);
        await handlers.closeClients();
        await client.close();
    });

    it("fails at the create deadline when claim + deploy + power-on outlast it, naming host, state and last_error", async function () {
        const tag = uniqueTag("deadline");
        created.push(...(await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }])));
        const deadlineMs = 10_000;
        const inputs = {
            __provider: "serialized-provider-code",
            name: `${tag}-m`,
            namespace: NS,
            hostSelector: { matchLabels: { pool: tag } },
            image: { url: "http://images.example/v1.qcow2", checksum: "http://images.example/v1.qcow2.sha256", diskFormat: "qcow2" },
            ironic: { url, authType: "none" },
            timeouts: { create: `${deadlineMs / 1000}s`, claim: "2m" },
        };
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
            .and.contain("create deadline (timeouts.create, 10 s, for claim + deploy + power-on)");
        // Partially created: the claim is kept for the next update (or delete) to finish.
        expect(err!.id).to.be.a("string").and.equal(node.allocation_uuid);
        expect(err!.properties?.nodeUuid).to.equal(node.uuid);
    });
});

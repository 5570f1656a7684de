// A separate Node process that races for hosts (used by claims.test.ts to show that claims are
// atomic across processes, not just inside one event loop). Prints one JSON line:
// [{ machine, ok, node?, allocation?, error? }, ...]
//
// usage: node race-worker.js IRONIC_URL NAMESPACE LABEL_KEY LABEL_VALUE MACHINE_PREFIX COUNT
import { IronicClient } from "../../provider/ironic";
import { claimHost } from "../../provider/claim/allocation";
import { POOL_OWNER_KEY } from "./pool";

async function main(): Promise<void> {
    const [url, namespace, key, value, prefix, count] = process.argv.slice(2);
    const client = await IronicClient.connect({ url, authType: "none" });
    const machines = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`);
    const results = await Promise.all(
        machines.map(async (machine) => {
            try {
                const claim = await claimHost(client, {
                    namespace,
                    selector: { matchLabels: { [key]: value } },
                    poolKeys: [POOL_OWNER_KEY],
                    owner: { namespace, machine, specHash: "race" },
                    allocationTimeoutMs: 60_000,
                });
                return { machine, ok: true, node: claim.node.uuid, allocation: claim.allocation.uuid };
            } catch (err) {
                return { machine, ok: false, error: (err as Error).message, kind: (err as Error).name };
            }
        }),
    );
    process.stdout.write(JSON.stringify(results) + "\n");
    await client.close();
}

main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
});

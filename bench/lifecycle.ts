// `npm run bench`: how much time and how many Ironic API calls pulumi-metal3 adds on top of what
// Ironic itself needs, for 1, 10 and 50 hosts on fake hardware with fake delays.
//
// For each size, in the same run and against the same Ironic:
//   - "Ironic's own time": the same lifecycle (enrol → manage → inspect → provide → power off →
//     deploy with config drive → power on → undeploy → delete) driven straight through the API with
//     tight 100 ms polling — the floor no client can beat by much;
//   - "pulumi-metal3": the BareMetalHost provider's create (with image, online) then delete, as the
//     engine would call them;
//   - API calls per host, counted from Ironic's own request log (so nothing is self-reported),
//     and the peak RSS of this process.
// Targets from the issue: one host within 1.10× of Ironic's time; ≤ 40 API calls per host lifecycle.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startIronic, stopIronic } from "../local/ironic";
import { findFreePort } from "../local/proc";
import { IronicClient } from "../provider/ironic";
import { enrolFakeNode, requestLines } from "./direct";
import type { Node } from "../provider/ironic";
import { bareMetalHostProvider } from "../sdk/baremetalhost";

const FAKE_DELAYS = { deploy: "4", inspect: "3", power: "1", boot: "1" };
const SIZES = (process.env.BENCH_SIZES ?? "1,10,50").split(",").map(Number);
const IMAGE = { url: "http://127.0.0.1:1/images/bench.qcow2", checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" };

/**
 * The measuring stick: poll every 100 ms until the node reaches `state`. Deliberately not the
 * client's wait helper (which backs off to save API calls): this loop trades calls for the
 * earliest possible observation, to measure Ironic's own time.
 */
async function tightWait(client: IronicClient, uuid: string, ok: (n: Node) => boolean): Promise<void> {
    const deadline = Date.now() + 600_000;
    for (;;) {
        const n = await client.getNode(uuid);
        if (ok(n)) return;
        if (n.last_error && !n.target_provision_state && !n.target_power_state) throw new Error(`${n.name}: ${n.provision_state}: ${n.last_error}`);
        if (Date.now() > deadline) throw new Error(`${n.name} stuck in ${n.provision_state}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

async function directLifecycle(client: IronicClient, name: string, mac: string): Promise<void> {
    const node = await enrolFakeNode(client, name, mac);
    const stable = (s: string) => (n: Node) => n.provision_state === s && !n.target_provision_state;
    await client.setProvisionState(node.uuid, "manage");
    await tightWait(client, node.uuid, stable("manageable"));
    await client.setProvisionState(node.uuid, "inspect");
    await tightWait(client, node.uuid, stable("manageable"));
    await client.setProvisionState(node.uuid, "provide");
    await tightWait(client, node.uuid, stable("available"));
    await client.setPowerState(node.uuid, "power off");
    await tightWait(client, node.uuid, (n) => n.power_state === "power off" && !n.target_power_state);
    await client.patchNode(node.uuid, [
        { op: "add", path: "/instance_info/image_source", value: IMAGE.url },
        { op: "add", path: "/instance_info/image_checksum", value: IMAGE.checksum },
        { op: "add", path: "/instance_info/image_disk_format", value: IMAGE.format },
    ]);
    await client.setProvisionState(node.uuid, "active", { configDrive: { meta_data: { uuid: node.uuid, name }, user_data: "#cloud-config\n" } });
    await tightWait(client, node.uuid, stable("active"));
    await client.setPowerState(node.uuid, "power on");
    await tightWait(client, node.uuid, (n) => n.power_state === "power on" && !n.target_power_state);
    await client.setProvisionState(node.uuid, "deleted");
    await tightWait(client, node.uuid, stable("available"));
    await client.deleteNode(node.uuid);
}

async function providerLifecycle(name: string, mac: string): Promise<void> {
    const news = { name, namespace: "bench", bmc: { address: `fake://${name}` }, bootMACAddress: mac, online: true, image: IMAGE, userData: "#cloud-config\n" };
    const checked = await bareMetalHostProvider.check({}, news);
    if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
    const created = await bareMetalHostProvider.create(checked.inputs);
    await bareMetalHostProvider.delete(created.id, { ...checked.inputs, ...created.outs });
}

function mac(run: number, i: number): string {
    const h = (n: number) => n.toString(16).padStart(2, "0");
    return `52:54:be:${h(run)}:${h(i >> 8)}:${h(i & 255)}`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-bench-"));
    const port = await findFreePort();
    // noauth: the figures of docs/PERFORMANCE.md were measured so, and the provider connects with the URL alone here.
    const ironic = await startIronic({ stateDir, port, noauth: true, fakeDelays: FAKE_DELAYS, log: (l) => process.stderr.write(`[bench-ironic] ${l}\n`) });
    process.env.IRONIC_URL = ironic.url;
    process.env.OS_ENDPOINT = ironic.url;
    process.env.OS_AUTH_TYPE = "none";
    await bareMetalHostProvider.configure({ config: { get: () => undefined } } as any);
    const client = await IronicClient.connect({ url: ironic.url });
    // Lifecycle progress lines from the provider go to stderr; keep the benchmark's table readable.
    const quiet = process.env.BENCH_VERBOSE ? undefined : process.stderr.write.bind(process.stderr);
    const rows: string[][] = [
        ["hosts", "Ironic's own (s)", "pulumi-metal3 (s)", "ratio", "API calls/host (direct)", "API calls/host (provider)", "peak RSS (MiB)"],
    ];
    let run = 0;
    try {
        for (const n of SIZES) {
            run++;
            let before = requestLines(ironic.logFile);
            const direct = await timed(() =>
                Promise.all(Array.from({ length: n }, (_, i) => directLifecycle(client, `bench-direct-${run}-${i}`, mac(run, i)))),
            );
            const directCalls = (requestLines(ironic.logFile) - before) / n;
            run++;
            before = requestLines(ironic.logFile);
            if (quiet) (process.stderr as any).write = () => true;
            let viaProvider: number;
            try {
                viaProvider = await timed(() => Promise.all(Array.from({ length: n }, (_, i) => providerLifecycle(`bench-${run}-${i}`, mac(run, i)))));
            } finally {
                if (quiet) (process.stderr as any).write = quiet;
            }
            const providerCalls = (requestLines(ironic.logFile) - before) / n;
            const rss = process.resourceUsage().maxRSS / 1024;
            rows.push([
                String(n),
                direct.toFixed(1),
                viaProvider.toFixed(1),
                (viaProvider / direct).toFixed(2) + "×",
                directCalls.toFixed(1),
                providerCalls.toFixed(1),
                rss.toFixed(0),
            ]);
            process.stderr.write(`[bench] ${n} host(s) done\n`);
        }
        let machines: string[] | undefined;
        try {
            const { benchMachines } = require("./machines");
            if (typeof benchMachines === "function") {
                const n = Number(process.env.BENCH_MACHINES ?? 10);
                const r = await benchMachines(n, ironic.url);
                machines = [`Machines: ${n} machines on a pool of ${n} hosts: ${JSON.stringify(r)}`];
            }
        } catch (e: any) {
            machines = [`Machines: benchmark not run: ${e.message}`];
        }
        const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
        console.log(`\nBareMetalHost lifecycle (create with image + online, then delete); fake delays ${JSON.stringify(FAKE_DELAYS)} s`);
        for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join("  "));
        console.log("targets: ratio for 1 host ≤ 1.10×; ≤ 40 API calls per host lifecycle (provider column)");
        if (machines) console.log("\n" + machines.join("\n"));
    } finally {
        await client.close();
        await stopIronic({ stateDir });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});

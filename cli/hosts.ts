// `pulumi-metal3 hosts`: the table the demo ends with — every node pulumi-metal3 manages, with its
// Metal³ state, Ironic state, power, the Machine holding it and UUID, so an operator sees the whole
// inventory at a glance. Read from Ironic alone, so it says what the BareMetalHost objects say
// (provider/render/claim.ts: a Machine's host is `provisioned`, a spare `available`).
import { IronicClient } from "../provider/ironic";
import type { Node } from "../provider/ironic/types";
import { MACHINE_NODE_EXTRA } from "../provider/extra-keys";
import { metal3State } from "../provider/host/states";

function parseArgs(argv: string[]): { url?: string; all: boolean } {
    const out: { url?: string; all: boolean } = { all: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--ironic-url") out.url = argv[++i];
        else if (argv[i] === "--all") out.all = true;
        else throw new Error(`hosts: unknown argument "${argv[i]}" (usage: hosts [--ironic-url URL] [--all])`);
    }
    return out;
}

export function formatTable(rows: string[][]): string {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
    return (
        rows
            .map((r) =>
                r
                    .map((cell, c) => (cell ?? "").padEnd(widths[c]))
                    .join("  ")
                    .trimEnd(),
            )
            .join("\n") + "\n"
    );
}

export const HOST_COLUMNS = ["NAME", "STATE", "IRONIC STATE", "POWER", "HELD BY", "MAINTENANCE", "NODE UUID", "LAST ERROR"];

/** The table's rows: the header, then one node per row by name. `HELD BY` is the Machine's record on the node. */
export function hostRows(nodes: Node[]): string[][] {
    const rows = [HOST_COLUMNS];
    for (const n of [...nodes].sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
        const heldBy = n.allocation_uuid ? String(n.extra?.[MACHINE_NODE_EXTRA.machine] ?? `allocation ${n.allocation_uuid}`) : "";
        rows.push([
            n.name ?? "-",
            metal3State(n) || "-",
            n.provision_state ?? "-",
            n.power_state ?? "unknown",
            heldBy,
            n.maintenance ? "yes" : "no",
            n.uuid,
            n.last_error ? String(n.last_error).slice(0, 60) : "",
        ]);
    }
    return rows;
}

export async function hostsCommand(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    const client = await IronicClient.connect(args.url ? { url: args.url } : undefined);
    try {
        const nodes = await client.listNodes();
        const mine = args.all ? nodes : nodes.filter((n) => n.extra?.pulumi_metal3_managed === "true");
        process.stdout.write(formatTable(hostRows(mine)));
        return 0;
    } finally {
        await client.close();
    }
}

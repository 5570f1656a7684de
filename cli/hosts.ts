// `pulumi-metal3 hosts`: the table the demo ends with — every node pulumi-metal3 manages, with its
// Metal³ state, Ironic state, power and UUID, so an operator sees the whole inventory at a glance.
import { IronicClient } from "../provider/ironic";

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
  return rows.map((r) => r.map((cell, c) => (cell ?? "").padEnd(widths[c])).join("  ").trimEnd()).join("\n") + "\n";
}

export async function hostsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const client = await IronicClient.connect(args.url ? { url: args.url } : undefined);
  try {
    const nodes = await client.listNodes();
    const mine = args.all ? nodes : nodes.filter((n) => n.extra?.pulumi_metal3_managed === "true");
    const rows = [["NAME", "IRONIC STATE", "POWER", "MAINTENANCE", "NODE UUID", "LAST ERROR"]];
    for (const n of mine.sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
      rows.push([
        n.name ?? "-",
        n.provision_state ?? "-",
        n.power_state ?? "unknown",
        n.maintenance ? "yes" : "no",
        n.uuid,
        n.last_error ? String(n.last_error).slice(0, 60) : "",
      ]);
    }
    process.stdout.write(formatTable(rows));
    return 0;
  } finally {
    await client.close();
  }
}

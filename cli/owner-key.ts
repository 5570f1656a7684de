// `pulumi-metal3 owner-key`: makes a stack's owner key, the secret that keys the owner records
// pulumi-metal3 writes on Ironic nodes and claims (provider/owner-record.ts, docs/SECURITY.md).
// Prints a new random key, or with --set stores it in the current stack's config as a secret
// (`pulumi config set --secret`, the value passed on stdin, never on a command line).
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";

const USAGE = `usage: pulumi-metal3 owner-key [--set [--plugin] [--stack STACK] [--cwd DIR] [--force]]

Prints a new random owner key (256 bits, hex). With --set, stores it in the stack's config as a
secret: pulumi-metal3:ownerKey (TypeScript programs), or with --plugin metal3:ownerKey (YAML and
Go programs of the metal3 package). An existing key is kept unless --force: changing it rekeys
every host record at the next \`pulumi up\` (an Ironic extra patch each), and the stacks that
read it (poolOwnerKeys) must be given the new one.
`;

export function newOwnerKey(): string {
    return randomBytes(32).toString("hex");
}

export async function ownerKeyCommand(argv: string[]): Promise<number> {
    if (argv.includes("-h") || argv.includes("--help")) {
        process.stdout.write(USAGE);
        return 0;
    }
    const known = new Set(["--set", "--plugin", "--force", "--stack", "--cwd"]);
    const args: Record<string, string | true> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!known.has(a)) {
            process.stderr.write(`pulumi-metal3 owner-key: unknown argument "${a}"\n\n${USAGE}`);
            return 2;
        }
        if (a === "--stack" || a === "--cwd") {
            if (argv[i + 1] === undefined) {
                process.stderr.write(`pulumi-metal3 owner-key: ${a} needs a value\n`);
                return 2;
            }
            args[a] = argv[++i];
        } else args[a] = true;
    }
    const key = newOwnerKey();
    if (!args["--set"]) {
        process.stdout.write(`${key}\n`);
        return 0;
    }
    const configKey = args["--plugin"] ? "metal3:ownerKey" : "pulumi-metal3:ownerKey";
    const common = [
        ...(typeof args["--cwd"] === "string" ? ["-C", args["--cwd"]] : []),
        ...(typeof args["--stack"] === "string" ? ["--stack", args["--stack"]] : []),
    ];
    const existing = spawnSync("pulumi", ["config", "get", configKey, ...common], { encoding: "utf8" });
    if (existing.status === 0 && existing.stdout.trim() !== "" && !args["--force"]) {
        process.stderr.write(
            `pulumi-metal3 owner-key: the stack already has ${configKey}; kept (--force replaces it, which rekeys every host at the next \`pulumi up\`)\n`,
        );
        return 1;
    }
    const set = spawnSync("pulumi", ["config", "set", "--secret", configKey, ...common], { input: key, encoding: "utf8" });
    if (set.status !== 0) {
        process.stderr.write(
            `pulumi-metal3 owner-key: \`pulumi config set --secret ${configKey}\` failed: ${(set.stderr || set.error?.message || "").trim()}\n`,
        );
        return 1;
    }
    process.stdout.write(`set ${configKey} (secret) in the stack's config\n`);
    return 0;
}

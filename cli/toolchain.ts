// `pulumi-metal3 toolchain`: the command line of the toolchain builder (../local/toolchain.ts
// builds or finds it; this file parses arguments and prints).
import { ensureToolchain } from "../local/toolchain";

/** `pulumi-metal3 toolchain [--no-kube-apiserver]`: progress on stderr, `TOOLCHAIN_BIN=<dir>` on stdout. */
export async function toolchainCommand(argv: string[]): Promise<number> {
    const unknown = argv.filter((a) => a !== "--no-kube-apiserver");
    if (unknown.length) {
        process.stderr.write(`usage: pulumi-metal3 toolchain [--no-kube-apiserver]\n`);
        return 2;
    }
    try {
        const tc = await ensureToolchain({ skipKubeApiserver: argv.includes("--no-kube-apiserver") });
        process.stdout.write(`TOOLCHAIN_BIN=${tc.binDir}\n`);
        return 0;
    } catch (err) {
        process.stderr.write(`toolchain: ${(err as Error).message}\n`);
        return 1;
    }
}

// A program as a user has it: this checkout `npm pack`ed, installed with `npm install` into a
// directory outside the repository, run by the real `pulumi` CLI (the toolchain's). The steps of
// test/e2e/package.test.ts, for other tests that need the installed package under the engine.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { ensureToolchain } from "../../local/toolchain";
import { REPO_ROOT } from "./stack";

const run = promisify(execFile);

export interface PackedProgram {
    workDir: string;
    programDir: string;
}

/**
 * Packs the checkout, installs it into `<tmp>/program` with `files` (Pulumi.yaml and index.js at
 * least) and puts the toolchain's `pulumi` on PATH. npm runs with the PATH from before the
 * toolchain (@pulumi/kubernetes's install script would otherwise ask `pulumi` for plugins).
 */
export async function packedProgram(prefix: string, files: Record<string, string>): Promise<PackedProgram> {
    const npmEnv: NodeJS.ProcessEnv = { ...process.env };
    const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
    const pulumiOnly = (d: string) => d === tc.binDir || (fs.existsSync(path.join(d, "pulumi")) && !fs.existsSync(path.join(d, "npm")));
    npmEnv.PATH = (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((d) => !pulumiOnly(d))
        .join(path.delimiter);
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(tc.binDir)) process.env.PATH = `${tc.binDir}${path.delimiter}${process.env.PATH}`;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    npmEnv.PULUMI_HOME = path.join(workDir, "pulumi-home-for-npm");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", workDir], { cwd: REPO_ROOT, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
    const tarball = path.join(workDir, JSON.parse(stdout)[0].filename);
    const programDir = path.join(workDir, "program");
    fs.mkdirSync(programDir);
    const pkg = { name: prefix, private: true, main: "index.js", dependencies: { "pulumi-metal3": `file:${tarball}` } };
    fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify(pkg, null, 2));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(programDir, name), text);
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: programDir, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
    // The program loads the installed copy, not this checkout.
    const installed = fs.realpathSync(path.join(programDir, "node_modules", "pulumi-metal3"));
    if (!installed.startsWith(fs.realpathSync(programDir) + path.sep)) throw new Error(`pulumi-metal3 resolves to ${installed}, not the installed package`);
    return { workDir, programDir };
}

// The `pulumi` CLI killed whole, as the engine-level fault scenarios do it (engine.test.ts,
// engine-moments.test.ts), and what Pulumi tells operators to do next.
import { spawn } from "child_process";
import * as fs from "fs";
import { expect } from "chai";
import type { TestStack } from "../e2e/stack";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import type { FakeDelays, RunningIronic } from "../../local/ironic";
import { startExtraIronic } from "../support/hooks";
import { until } from "./campaign";

/** Pids of the dynamic-provider and language-host processes working in `dir` (the engine starts plugins in the program's directory). */
export function pluginProcesses(dir: string): number[] {
    const pids: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
            if (/dynamic-provider|language-host\.js/.test(cmdline) && fs.readlinkSync(`/proc/${entry}/cwd`) === fs.realpathSync(dir)) pids.push(Number(entry));
        } catch {
            // gone meanwhile
        }
    }
    return pids;
}

/** `pulumi <args>` as its own process group, so that a SIGKILL takes the engine, the language host and the provider down at once. */
export function startCli(stack: TestStack, args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn("pulumi", [...args, "--stack", stack.stack, "--non-interactive"], { cwd: stack.dir, env: { ...stack.env, ...env }, detached: true });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal, out })),
    );
    return {
        done,
        /** SIGKILL of the CLI's process group; resolves once the plugins it started have ended too. */
        kill: async () => {
            const plugins = pluginProcesses(stack.dir);
            expect(plugins, "the run has a provider process").to.not.be.empty;
            process.kill(-child.pid!, "SIGKILL");
            const result = await done;
            expect(result.signal).to.equal("SIGKILL");
            // The engine starts plugins in process groups of their own: the kill does not reach
            // them. They must end by themselves (sdk/providers/engine-watch.ts), not spin on.
            await until(
                "provider and language host processes gone",
                async () => (pluginProcesses(stack.dir).some((p) => plugins.includes(p)) ? undefined : true),
                20_000,
            );
            return result;
        },
    };
}

/** What Pulumi advises after an interrupted update: cancel (drop its lock), refresh clearing pending creates. */
export async function operatorCleanup(stack: TestStack): Promise<string[]> {
    const cancel = await stack.run(["cancel", "--yes"]);
    // The file backend: the killed CLI left its lock; cancel removes it (or says there is none).
    expect(cancel.code, cancel.stdout + cancel.stderr).to.equal(0);
    await stack.must(["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
    return ["`pulumi cancel --yes`", "`pulumi refresh --clear-pending-creates --yes`"];
}

/** What every engine-level scenario file starts with: the toolchain's `pulumi` on PATH, an Ironic of its own (with `delays`), a client of it. */
export async function engineAndIronic(delays: FakeDelays): Promise<{ ironic: RunningIronic; client: IronicClient }> {
    const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
    process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
    const ironic = await startExtraIronic({ fakeDelays: delays });
    return { ironic, client: await IronicClient.connect({ url: ironic.url }) };
}

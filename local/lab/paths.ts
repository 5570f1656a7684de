// Where the lab keeps things: images and Python packages built once per machine (cache), and the
// running lab's records — VM disks, BMC passwords, pid files, logs (state).

import * as os from "os";
import * as path from "path";

/** `${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/lab`: built images and the BMC venv, shared by every checkout. */
export function labCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cache, "pulumi-metal3", "lab");
}

/** The running lab: one directory per lab, default `<cache>/lab/run`. */
export function defaultLabStateDir(env: NodeJS.ProcessEnv = process.env): string {
    return path.join(labCacheDir(env), "run");
}

/** The build scripts beside this module's source (local/lab/*.sh; this file runs as dist/local/lab/*.js). */
export function labScriptDir(): string {
    let dir = __dirname;
    while (dir !== path.dirname(dir)) {
        const candidate = path.join(dir, "local", "lab");
        if (require("fs").existsSync(path.join(candidate, "build-agent.sh"))) return candidate;
        dir = path.dirname(dir);
    }
    throw new Error(`cannot find local/lab/build-agent.sh above ${__dirname}`);
}

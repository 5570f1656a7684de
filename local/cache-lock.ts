// A cross-process lock for things built once per machine into the cache (the Go toolchain's
// binaries, the Ironic virtual environment): several test runs or CLIs may ask at once, one
// builds, the others wait and then find the result ("present = done").

import * as fs from "fs";
import * as path from "path";

export type Logger = (line: string) => void;

/**
 * Take the lock `lockDir` (an atomically created directory holding the owner's pid; a dead
 * owner's lock is taken over). Resolves to a release function, or to undefined when `done()`
 * became true while waiting (another process built it).
 */
export async function acquireCacheLock(lockDir: string, done: () => boolean, what: string, log: Logger): Promise<(() => void) | undefined> {
    fs.mkdirSync(path.dirname(lockDir), { recursive: true });
    let announced = false;
    for (;;) {
        try {
            fs.mkdirSync(lockDir);
            fs.writeFileSync(path.join(lockDir, "pid"), `${process.pid}\n`);
            return () => fs.rmSync(lockDir, { recursive: true, force: true });
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
        let owner = 0;
        try {
            owner = Number.parseInt(fs.readFileSync(path.join(lockDir, "pid"), "utf8"), 10);
        } catch {
            /* being created right now, or left half-made */
        }
        const ownerAlive =
            owner > 0 &&
            (() => {
                try {
                    process.kill(owner, 0);
                    return true;
                } catch {
                    return false;
                }
            })();
        if (!ownerAlive && (owner > 0 || Date.now() - fs.statSync(lockDir).mtimeMs > 10000)) {
            fs.rmSync(lockDir, { recursive: true, force: true });
            continue;
        }
        if (!announced) {
            log(`another process (pid ${owner || "?"}) is building ${what}; waiting for it`);
            announced = true;
        }
        await new Promise((r) => setTimeout(r, 2000));
        if (done()) return undefined;
    }
}
